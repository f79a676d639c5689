/**
 * Building blocks for catalog tests that replay a history of INBOX captures (the SQLite and the
 * PostgreSQL catalog tests share them, so both replay exactly the same histories). Not a test file.
 */
import type { MessageStructure } from '../../../src/mail/structure.js';
import type { Capture, Catalog, FolderRecord, MessageRecord } from '../../../src/snapshots/store/catalog.js';

export const hash = (n: number): string => n.toString(16).padStart(64, '0');

export function inbox(messages: MessageRecord[]): FolderRecord {
  return {
    name: 'INBOX', delimiter: '/', uidValidity: 7, uidNext: Math.max(0, ...messages.map((m) => m.uid)) + 1, highestModseq: null,
    subscribed: true, specialUse: null, messages: messages.length, bytes: messages.reduce((n, m) => n + m.size, 0),
  };
}

export function message(uid: number, flags: string[] = []): MessageRecord {
  return { uid, flags, internalDate: new Date(Date.UTC(2026, 0, uid)), size: 100 + uid, blobHash: hash(uid) };
}

/** One complete capture of the account's INBOX holding `messages` (left uncommitted when `commit` is false). */
export async function captureInbox(catalog: Catalog, account: string, structure: MessageStructure, day: string, messages: MessageRecord[], commit = true): Promise<Capture> {
  const { capture: started } = await catalog.startCapture(account, day);
  for (const m of messages) {
    if (!(await catalog.hasBlob(account, m.blobHash))) await catalog.addBlobs(account, [{ blob: { hash: m.blobHash, size: m.size, storedBytes: m.size }, structure }], started);
  }
  await catalog.recordFolder(started, inbox(messages), messages);
  if (commit) await catalog.commitCapture(started);
  return started;
}
