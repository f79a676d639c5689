/**
 * Which accounts to snapshot and how to log in as each: the configured list, or an accounts file
 * with one user per line (master mode) or "user password" per line (accounts mode).
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import type { AccountCredentials } from './upstream.js';

export interface SnapshotAccount {
  user: string;
  credentials: AccountCredentials;
}

export function configuredAccounts(config: Config): SnapshotAccount[] {
  const { auth } = config.snapshot;
  const entries = new Map<string, string | undefined>();
  for (const user of config.snapshot.accounts) entries.set(user, undefined);
  if (config.snapshot.accountsFile) {
    let text: string;
    try {
      text = readFileSync(config.snapshot.accountsFile, 'utf8');
    } catch (error) {
      throw new Error(`snapshot.accountsFile: cannot read ${config.snapshot.accountsFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    text.split(/\r?\n/).forEach((line, index) => {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) return;
      const [user, ...rest] = trimmed.split(/\s+/);
      const password = rest.join(' ') || undefined;
      if (auth.mode === 'accounts' && !password) {
        throw new Error(`snapshot.accountsFile line ${index + 1}: "${user}" has no password (accounts mode needs "user password")`);
      }
      entries.set(user, password);
    });
  }
  return [...entries].map(([user, password]) => ({
    user,
    credentials:
      auth.mode === 'master'
        ? { mode: 'master', masterUser: auth.masterUser, masterPassword: auth.masterPassword }
        : { mode: 'password', password: password ?? '' },
  }));
}
