/**
 * Which accounts to snapshot and how to log in to the live server as each: the configured list,
 * or an accounts file with one user per line (master mode) or "user password" per line (accounts
 * mode). The one place where an account's credentials are resolved.
 */
import { readFileSync } from 'node:fs';
import type { SnapshotSettings } from '../config/settings.js';

export type AccountCredentials = { mode: 'master'; masterUser: string; masterPassword: string } | { mode: 'password'; password: string };

export interface SnapshotAccount {
  user: string;
  credentials: AccountCredentials;
}

/** The keys that name the accounts and how to log in as them. */
export type AccountSettings = Pick<SnapshotSettings, 'accounts' | 'accountsFile' | 'auth'>;

export function configuredAccounts(settings: AccountSettings): SnapshotAccount[] {
  const { auth } = settings;
  const entries = new Map<string, string | undefined>();
  for (const user of settings.accounts) entries.set(user, undefined);
  if (settings.accountsFile) {
    let text: string;
    try {
      text = readFileSync(settings.accountsFile, 'utf8');
    } catch (error) {
      throw new Error(`snapshot.accountsFile: cannot read ${settings.accountsFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
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
    credentials: auth.mode === 'master' ? masterCredentials(auth) : { mode: 'password', password: password ?? '' },
  }));
}

function masterCredentials(auth: SnapshotSettings['auth']): AccountCredentials {
  return { mode: 'master', masterUser: auth.masterUser, masterPassword: auth.masterPassword };
}

/**
 * How to log in as `user`, whether or not it is configured: its configured entry, else the master
 * user (who can impersonate anyone); null in accounts mode for a user without a password.
 * `known` spares re-reading the accounts file when the caller has just read it.
 */
export function credentialsFor(settings: AccountSettings, user: string, known: SnapshotAccount[] = configuredAccounts(settings)): AccountCredentials | null {
  const entry = known.find((account) => account.user === user);
  if (entry) return entry.credentials;
  return settings.auth.mode === 'master' ? masterCredentials(settings.auth) : null;
}
