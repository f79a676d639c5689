/** Which accounts are snapshotted and with which credentials: the one resolution for snapshots, the CLI and restores. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { configuredAccounts, credentialsFor, type AccountSettings } from '../../src/upstream/index.js';
import { tempDir } from '../fixtures/mtm.js';

const word = fc.stringMatching(/^[^\s#][^\s]{0,15}$/);
const password = fc.array(fc.stringMatching(/^\S{1,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(' '));

function withFile(text: string, auth: AccountSettings['auth'], accounts: string[] = []): AccountSettings {
  const file = join(tempDir('accounts'), 'accounts.txt');
  writeFileSync(file, text);
  return { accounts, accountsFile: file, auth };
}

const master = { mode: 'master' as const, masterUser: 'admin', masterPassword: 's3cret' };
const perAccount = { mode: 'accounts' as const, masterUser: '', masterPassword: '' };

test('accounts mode: each user logs in with the password of its line, whatever it contains', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(word, password), { selector: ([user]) => user, minLength: 1, maxLength: 5 }), (entries) => {
      const settings = withFile(['# comment', ...entries.map(([user, pass]) => `  ${user}\t${pass}  `), ''].join('\r\n'), perAccount);
      const accounts = configuredAccounts(settings);
      expect(accounts.map((account) => account.user)).toEqual(entries.map(([user]) => user));
      for (const [user, pass] of entries) expect(credentialsFor(settings, user, accounts)).toEqual({ mode: 'password', password: pass });
    }),
    { numRuns: 30 },
  );
});

test('accounts mode: a user without a password has no credentials, and a line without one is refused by number', () => {
  expect(credentialsFor(withFile('alice pw\n', perAccount), 'bob')).toBeNull();
  expect(() => configuredAccounts(withFile('alice pw\n\nbob\n', perAccount))).toThrow('snapshot.accountsFile line 3: "bob" has no password (accounts mode needs "user password")');
});

test('master mode: configured or not, every user is reached through the master user', () => {
  fc.assert(
    fc.property(fc.uniqueArray(word, { maxLength: 4 }), word, (configured, anyone) => {
      const settings: AccountSettings = { accounts: configured, auth: master };
      const expected = { mode: 'master', masterUser: 'admin', masterPassword: 's3cret' };
      expect(configuredAccounts(settings).map((account) => account.credentials)).toEqual(configured.map(() => expected));
      expect(credentialsFor(settings, anyone)).toEqual(expected);
    }),
    { numRuns: 30 },
  );
});

test('an unreadable accounts file is named, with the reason and without its content', () => {
  const missing = join(tempDir('accounts'), 'absent.txt');
  expect(() => configuredAccounts({ accounts: [], accountsFile: missing, auth: master })).toThrow(`snapshot.accountsFile: cannot read ${missing} (ENOENT)`);
});
