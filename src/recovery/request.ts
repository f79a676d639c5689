/**
 * What a restore request is: which account and day, which part of the snapshot (scope), where it
 * goes (mode) and who asks. One type shared by the CLI, the IMAP `Restore` mailbox and the HTTP API.
 */
import type { DayLabel } from '../snapshots/day-label.js';

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
