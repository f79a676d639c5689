/**
 * A real embedded store (SQLite catalog + blob files) filled through the catalog and blob APIs the
 * snapshotter uses, for tests of the walk and the view that need no live server. Not a test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import type { FolderRecord, MessageRecord, NewBlob } from '../../../src/snapshots/store/catalog.js';
import { openStore, type Store } from '../../../src/snapshots/store/store.js';

export interface RealStore {
  store: Store;
  close(): Promise<void>;
}

export async function openRealStore(): Promise<RealStore> {
  const dir = mkdtempSync(join(tmpdir(), 'mtm-walk-test-'));
  const store = await openStore({ path: join(dir, 'store') });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small message whose subject names where it was filed. */
export function messageText(folder: string, uid: number): Buffer {
  return Buffer.from(`From: a@example.com\r\nTo: b@example.com\r\nSubject: ${uid} in ${folder}\r\nMessage-ID: <${uid}.${Buffer.from(folder).toString('hex')}@example.com>\r\n\r\nBody ${uid}\r\n`);
}

/**
 * One committed capture of `account` for `day`: each folder (name as the live server reported it,
 * "/"-separated) with `count` messages, UIDs 1…count.
 */
export async function captureDay(store: Store, account: string, day: string, folders: Record<string, number>): Promise<void> {
  const { capture } = await store.catalog.startCapture(account, day);
  for (const [name, count] of Object.entries(folders)) {
    const blobs: NewBlob[] = [];
    const messages: MessageRecord[] = [];
    for (let uid = 1; uid <= count; uid++) {
      const raw = messageText(name, uid);
      const stored = await store.blobs.put(account, raw);
      const structure = await analyzeMessage(raw);
      blobs.push({ blob: { hash: stored.hash, size: stored.size, storedBytes: stored.storedBytes }, structure, header: raw.subarray(0, structure.headerLength) });
      messages.push({ uid, flags: uid % 2 ? ['\\Seen'] : [], internalDate: new Date(Date.UTC(2026, 10, uid)), size: raw.length, blobHash: stored.hash });
    }
    await store.blobs.flush(account);
    await store.catalog.addBlobs(account, blobs, capture);
    const record: FolderRecord = {
      name, delimiter: '/', uidValidity: 1000 + Object.keys(folders).indexOf(name), uidNext: count + 1, highestModseq: null,
      subscribed: true, specialUse: null, messages: count, bytes: messages.reduce((sum, message) => sum + message.size, 0),
    };
    await store.catalog.recordFolder(capture, record, messages);
  }
  await store.catalog.commitCapture(capture);
}
