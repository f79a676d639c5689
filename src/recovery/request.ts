/**
 * What a restore request is: which account and day, which part of the snapshot (scope), where it
 * goes (mode) and who asks. One type shared by the CLI, the IMAP `Restore` mailbox and the HTTP API.
 */
import { isDayLabel, type DayLabel } from '../snapshots/day-label.js';

export type RestoreScope =
  /** Exactly these UIDs of one snapshot folder. */
  | { kind: 'messages'; folder: string; uids: number[] }
  /** A snapshot folder, optionally with every folder below it. */
  | { kind: 'folder'; folder: string; subfolders: boolean }
  | { kind: 'account' };

/** merge: back into the original folders, skipping what is there; separate: under Restored/<day>/. */
export type RestoreMode = 'merge' | 'separate';

export type Requester = { kind: 'account'; account: string } | { kind: 'admin'; name: string };

export type RequestOrigin = 'cli' | 'imap' | 'http';

export interface RestoreRequest {
  account: string;
  day: DayLabel;
  scope: RestoreScope;
  mode: RestoreMode;
  requester: Requester;
  origin: RequestOrigin;
}

/** Top-level folder that `separate` restores go under (then the day, then the original path). */
export const RESTORED_ROOT = 'Restored';

export function describeScope(scope: RestoreScope): string {
  switch (scope.kind) {
    case 'messages':
      return `${scope.uids.length} message${scope.uids.length === 1 ? '' : 's'} of folder "${scope.folder}"`;
    case 'folder':
      return `folder "${scope.folder}"${scope.subfolders ? ' with its subfolders' : ''}`;
    case 'account':
      return 'the whole mailbox';
  }
}

/**
 * Bounds on every field of a request, whoever sends it. A request outside them is refused before
 * anything is recorded or emailed, and its values are never echoed (they may be megabytes long).
 */
export const REQUEST_LIMITS = {
  /** Bytes (UTF-8) of an account name. */
  accountBytes: 320,
  /** Bytes (UTF-8) of a folder name: far beyond any real hierarchy, far below a flood. */
  folderBytes: 1000,
  /** UIDs named in one request. */
  uids: 100_000,
  /** Largest IMAP UID. */
  maxUid: 4_294_967_295,
} as const;

/** No IMAP mailbox or account name holds these; in a header or a log line they would forge lines. */
const CONTROL = /[\u0000\r\n]/;

/** What is wrong with a request's shape, in words that quote none of its values; null when it is sound. */
export function requestProblem(request: RestoreRequest): string | null {
  const { account, day, scope, mode } = request;
  if (typeof account !== 'string' || account.length === 0 || Buffer.byteLength(account) > REQUEST_LIMITS.accountBytes || CONTROL.test(account)) {
    return `the account name must be 1 to ${REQUEST_LIMITS.accountBytes} bytes without NUL, CR or LF`;
  }
  if (typeof day !== 'string' || !isDayLabel(day)) return 'the day must be a calendar date written YYYY-MM-DD';
  if (mode !== 'merge' && mode !== 'separate') return 'the mode must be merge or separate';
  if (!scope || typeof scope !== 'object') return 'the request names no scope';
  if (scope.kind === 'account') return null;
  if (scope.kind !== 'folder' && scope.kind !== 'messages') return 'the scope must be messages, a folder or the whole account';
  const folderProblem = folderNameProblem(scope.folder);
  if (folderProblem) return folderProblem;
  if (scope.kind === 'folder') return typeof scope.subfolders === 'boolean' ? null : 'subfolders must be true or false';
  if (!Array.isArray(scope.uids) || scope.uids.length === 0 || scope.uids.length > REQUEST_LIMITS.uids) return `name 1 to ${REQUEST_LIMITS.uids} messages`;
  if (!scope.uids.every((uid) => Number.isInteger(uid) && uid >= 1 && uid <= REQUEST_LIMITS.maxUid)) return `UIDs must be whole numbers from 1 to ${REQUEST_LIMITS.maxUid}`;
  return null;
}

export function folderNameProblem(folder: unknown): string | null {
  if (typeof folder !== 'string' || folder.length === 0 || Buffer.byteLength(folder) > REQUEST_LIMITS.folderBytes || CONTROL.test(folder)) {
    return `a folder name must be 1 to ${REQUEST_LIMITS.folderBytes} bytes without NUL, CR or LF`;
  }
  return null;
}
