/**
 * The Store contract (src/snapshots/store/store.ts): what callers ask of the whole store besides its
 * Catalog, BlobStore and JobStore — sizes, probes, the integrity check, failures as StorageError —
 * and that no answer ever holds a secret of its configuration.
 */
import { createHash } from 'node:crypto';
import type { MessageStructure } from '../../../../src/mail/structure.js';
import { StorageError, type Store } from '../../../../src/snapshots/store/store.js';
import { generateMessage } from '../../../../src/testbed/corpus.js';
import type { Fresh } from './subject.js';

export interface FreshStore extends Fresh<Store> {
  /** Passwords, keys and secret URLs of the configuration: none may appear in any answer. */
  secrets: string[];
}

export function storeContract(name: string, makeStore: () => Promise<FreshStore>): void {
  const each = async (body: (store: Store, secrets: string[]) => Promise<void>) => {
    const fresh = await makeStore();
    try {
      await body(fresh.subject, fresh.secrets);
    } finally {
      await fresh.cleanup();
    }
  };
  const noSecrets = (text: string, secrets: string[]) => {
    for (const secret of secrets) expect(text).not.toContain(secret);
  };

  describe(`Store contract: ${name}`, () => {
    test('a fresh store is writable, empty, intact and reachable, and says so without secrets', () =>
      each(async (store, secrets) => {
        expect(store.readOnly).toBeNull();
        expect(store.description.length).toBeGreaterThan(0);
        noSecrets(store.description, secrets);
        const sizes = await store.sizes();
        expect(sizes).toMatchObject({ blobBytes: 0, blobCount: 0 });
        expect(sizes.catalogBytes).toBeGreaterThanOrEqual(0);
        const probes = await store.probe();
        expect(probes.length).toBeGreaterThan(0);
        for (const probe of probes) {
          expect(probe).toMatchObject({ ok: true });
          expect(probe.part.length).toBeGreaterThan(0);
          expect(probe.detail.length).toBeGreaterThan(0);
          noSecrets(JSON.stringify(probe), secrets);
        }
        const integrity = await store.checkIntegrity({ thorough: true });
        expect(integrity.ok).toBe(true);
        noSecrets(integrity.text, secrets);
        expect((await store.checkIntegrity({ thorough: false })).ok).toBe(true);
        expect(await store.jobs.list('store-contract-nobody')).toEqual([]);
      }));

    test('sizes count what the catalog references', () =>
      each(async (store) => {
        const account = 'store-contract-ann';
        const { capture } = await store.catalog.startCapture(account, '2026-05-01');
        const messages = [generateMessage(1, 3), generateMessage(2, 3), generateMessage(3, 3)];
        const stored = [];
        for (const raw of messages) stored.push(await store.blobs.put(account, raw));
        await store.blobs.flush(account);
        const before = (await store.sizes()).searchIndexBytes;
        // Texts of many distinct trigrams (a repeated phrase has few), so the index takes new pages.
        await store.catalog.addBlobs(account, stored.map((blob, i) => ({ blob, structure: {} as MessageStructure, searchText: { text: Array.from({ length: 3000 }, (_, k) => `word${i}q${k.toString(36)}z${(k * 7919).toString(36)}`).join(' '), version: 1 } })), capture);
        const records = stored.slice(0, 2).map((blob, i) => ({ uid: i + 1, flags: [], internalDate: new Date(0), size: blob.size, blobHash: blob.hash }));
        await store.catalog.recordFolder(capture, { name: 'INBOX', delimiter: '/', uidValidity: 1, uidNext: 3, highestModseq: null, subscribed: true, specialUse: null, messages: 2, bytes: 0 }, records);
        await store.catalog.commitCapture(capture);
        const sizes = await store.sizes();
        expect(sizes.blobCount).toBe(2);
        expect(sizes.blobBytes).toBe(stored[0].storedBytes + stored[1].storedBytes);
        expect(sizes.catalogBytes).toBeGreaterThan(0);
        // The search index is part of the catalog, and grows with what it indexes.
        expect(sizes.searchIndexBytes).toBeGreaterThan(before);
        expect(sizes.searchIndexBytes).toBeLessThanOrEqual(sizes.catalogBytes);
      }));

    test('failures: its own StorageError passes as is; errors that are not the store\'s are not claimed', () =>
      each(async (store) => {
        const own = new StorageError('unavailable', store.description, 'connection refused');
        expect(store.describeFailure(own)).toBe(own);
        expect(own.message).toBe(`the store ${store.description} is unavailable (connection refused)`);
        expect(store.describeFailure(new Error('the live server said NO'))).toBeNull();
        expect(store.describeFailure(new TypeError(createHash('sha256').update('x').digest('hex')))).toBeNull();
        expect(store.describeFailure(undefined)).toBeNull();
      }));
  });
}
