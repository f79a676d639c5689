/**
 * The BlobStore contract (src/snapshots/store/blob-store.ts): content-addressed, per account,
 * idempotent, exact range reads, damage always detected, orphans collected only when old enough.
 * A backend's test file calls blobStoreContract with a factory of fresh, empty blob stores.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { BlobDamagedError, sha256, type BlobDamageObserver, type BlobStore } from '../../../../src/snapshots/store/blob-store.js';
import { CHUNK_SIZE } from '../../../../src/snapshots/store/blob-codec.js';
import { generateMessage } from '../../../../src/testbed/corpus.js';
import type { Fresh } from './subject.js';

export interface FreshBlobStore extends Fresh<BlobStore> {
  /** Flips one bit of what the backend stores for the blob, at `position` modulo the stored length. */
  corrupt(account: string, hash: string, position: number): Promise<void>;
}

/** `onDamage` is the observer the store must tell of every damaged read. */
export type MakeBlobStore = (onDamage: BlobDamageObserver) => Promise<FreshBlobStore>;

async function streamed(blobs: BlobStore, account: string, hash: string, start?: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of blobs.read(account, hash, start, end)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function listed(blobs: BlobStore, account: string): Promise<string[]> {
  const hashes: string[] = [];
  for await (const hash of blobs.list(account)) hashes.push(hash);
  return hashes.sort();
}

/** Mail text spanning three chunks (the last one short): compresses, as most mail does. */
function multiChunkText(): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (let i = 0; length < 2 * CHUNK_SIZE + 5000; i++) {
    const part = generateMessage(i, 17, { minBytes: 3000, maxBytes: 9000 });
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts);
}

export function blobStoreContract(name: string, makeBlobStore: MakeBlobStore): void {
  const A = 'contract-ann';
  const B = 'contract-bob.example';
  const each = async <R>(body: (blobs: BlobStore, fresh: FreshBlobStore, damaged: BlobDamagedError[]) => Promise<R>): Promise<R> => {
    const damaged: BlobDamagedError[] = [];
    const fresh = await makeBlobStore((damage) => damaged.push(damage));
    try {
      return await body(fresh.subject, fresh, damaged);
    } finally {
      await fresh.cleanup();
    }
  };

  describe(`BlobStore contract: ${name}`, () => {
    test('put and read back byte for byte under the SHA-256, empty and multi-chunk messages included', () =>
      each(async (blobs) => {
        for (const raw of [Buffer.alloc(0), Buffer.from('x'), generateMessage(1, 9), randomBytes(70_000), multiChunkText()]) {
          const stored = await blobs.put(A, raw);
          expect(stored).toMatchObject({ hash: sha256(raw), size: raw.length, written: true });
          expect(stored.storedBytes).toBeGreaterThan(0);
          expect(await blobs.has(A, stored.hash)).toBe(true);
          expect(await blobs.storedBytes(A, stored.hash)).toBe(stored.storedBytes);
          expect((await blobs.readAll(A, stored.hash)).equals(raw)).toBe(true);
          expect((await blobs.readAll(A, stored.hash, { checkHash: true })).equals(raw)).toBe(true);
          expect((await streamed(blobs, A, stored.hash)).equals(raw)).toBe(true);
          await blobs.checkIntact(A, stored.hash);
        }
        await blobs.flush(A);
      }));

    test('a hash computed by the caller is used as given', () =>
      each(async (blobs) => {
        const raw = generateMessage(3, 3);
        const stored = await blobs.put(A, raw, sha256(raw));
        expect(stored.hash).toBe(sha256(raw));
        expect((await blobs.readAll(A, sha256(raw))).equals(raw)).toBe(true);
      }));

    test('put is idempotent: the same bytes again are not written twice and stay readable', () =>
      each(async (blobs) => {
        const raw = multiChunkText();
        const first = await blobs.put(A, raw);
        const again = await blobs.put(A, raw);
        expect(again).toEqual({ ...first, written: false });
        const concurrent = await Promise.all([blobs.put(A, generateMessage(5, 5)), blobs.put(A, generateMessage(5, 5))]);
        expect(concurrent[0].hash).toBe(concurrent[1].hash);
        expect(await listed(blobs, A)).toEqual([first.hash, concurrent[0].hash].sort());
        expect((await blobs.readAll(A, first.hash)).equals(raw)).toBe(true);
      }));

    test('range reads equal raw.subarray(start, end), streamed or in one buffer, across chunk boundaries', () =>
      each(async (blobs) => {
        const text = multiChunkText();
        const noise = randomBytes(CHUNK_SIZE * 2 + 1234);
        const hashes = [(await blobs.put(A, text)).hash, (await blobs.put(A, noise)).hash];
        const fixed: [number, number][] = [[0, 10], [CHUNK_SIZE - 1, CHUNK_SIZE + 1], [CHUNK_SIZE, CHUNK_SIZE], [2 * CHUNK_SIZE, 3 * CHUNK_SIZE], [500, 499]];
        for (const [which, raw] of [text, noise].entries()) {
          for (const [start, end] of fixed) {
            expect((await blobs.readRange(A, hashes[which], start, end)).equals(raw.subarray(start, end))).toBe(true);
            expect((await streamed(blobs, A, hashes[which], start, end)).equals(raw.subarray(start, end))).toBe(true);
          }
          expect((await blobs.readRange(A, hashes[which], CHUNK_SIZE + 7)).equals(raw.subarray(CHUNK_SIZE + 7))).toBe(true);
          expect((await blobs.readRange(A, hashes[which], raw.length - 3, raw.length + 500)).equals(raw.subarray(raw.length - 3))).toBe(true);
        }
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: 1 }), fc.nat(text.length + 10), fc.nat(CHUNK_SIZE * 2), fc.boolean(), async (which, start, length, stream) => {
            const raw = which ? noise : text;
            const end = start + length;
            const got = stream ? await streamed(blobs, A, hashes[which], start, end) : await blobs.readRange(A, hashes[which], start, end);
            expect(got.equals(raw.subarray(start, end))).toBe(true);
            await blobs.checkIntact(A, hashes[which], start, end);
          }),
          { numRuns: 40 },
        );
      }));

    test('accounts are isolated: the same bytes in two accounts are two blobs; nothing is found through the other', () =>
      each(async (blobs) => {
        const raw = generateMessage(7, 7);
        const { hash } = await blobs.put(A, raw);
        expect(await blobs.has(B, hash)).toBe(false);
        await expect(blobs.readAll(B, hash)).rejects.toThrow();
        await expect(blobs.readRange(B, hash, 0, 5)).rejects.toThrow();
        await expect(streamed(blobs, B, hash)).rejects.toThrow();
        expect(await listed(blobs, B)).toEqual([]);
        expect((await blobs.put(B, raw)).written).toBe(true);
        await blobs.remove(B, hash);
        expect(await blobs.has(B, hash)).toBe(false);
        expect((await blobs.readAll(A, hash)).equals(raw)).toBe(true);
        expect(await listed(blobs, A)).toEqual([hash]);
      }));

    test('remove deletes one blob (and is quiet about one that is not there); list names exactly what is stored', () =>
      each(async (blobs) => {
        const hashes = [];
        for (let i = 0; i < 5; i++) hashes.push((await blobs.put(A, generateMessage(i, 2))).hash);
        expect(await listed(blobs, A)).toEqual([...new Set(hashes)].sort());
        await blobs.remove(A, hashes[0]);
        await blobs.remove(A, hashes[0]);
        await blobs.remove(A, sha256(Buffer.from('never stored')));
        expect(await blobs.has(A, hashes[0])).toBe(false);
        await expect(blobs.readAll(A, hashes[0])).rejects.toThrow();
        expect(await listed(blobs, A)).toEqual([...new Set(hashes.slice(1))].sort());
        expect(await listed(blobs, 'contract-nobody')).toEqual([]);
      }));

    test('damage anywhere in what is stored is found by every whole read, told to the observer, and never served', () =>
      each(async (blobs, fresh, damaged) => {
        const raw = multiChunkText();
        const small = generateMessage(2, 4);
        await fc.assert(
          fc.asyncProperty(fc.boolean(), fc.nat(), fc.nat(raw.length), async (big, position, cut) => {
            const bytes = big ? raw : small;
            const { hash } = await blobs.put(A, bytes);
            await fresh.corrupt(A, hash, position);
            const before = damaged.length;
            await expect(blobs.readAll(A, hash)).rejects.toBeInstanceOf(BlobDamagedError);
            await expect(streamed(blobs, A, hash)).rejects.toBeInstanceOf(BlobDamagedError);
            await expect(blobs.checkIntact(A, hash)).rejects.toBeInstanceOf(BlobDamagedError);
            expect(damaged.length).toBeGreaterThan(before);
            expect(damaged.at(-1)).toMatchObject({ account: A, hash });
            // A part read may miss the damage, but then its bytes are right.
            const start = Math.min(cut, bytes.length);
            try {
              expect((await blobs.readRange(A, hash, start, start + 1000)).equals(bytes.subarray(start, start + 1000))).toBe(true);
            } catch (error) {
              expect(error).toBeInstanceOf(BlobDamagedError);
            }
            await blobs.remove(A, hash);
          }),
          { numRuns: 25 },
        );
      }));

    test('orphans are collected by age: young blobs stay, old ones go unless referenced; the referee is asked only about old ones', () =>
      each(async (blobs) => {
        const kept = (await blobs.put(A, generateMessage(1, 1))).hash;
        const orphan = (await blobs.put(A, generateMessage(2, 1))).hash;
        const other = (await blobs.put(B, generateMessage(2, 1))).hash;
        const asked: string[] = [];
        const referee = async (hash: string) => {
          asked.push(hash);
          return hash === kept;
        };
        expect(await blobs.removeOrphans(A, 60 * 60 * 1000, referee)).toBe(0);
        expect(asked).toEqual([]);
        expect(await listed(blobs, A)).toEqual([kept, orphan].sort());
        // Object stores keep times to the second.
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await blobs.removeOrphans(A, 0, referee)).toBe(1);
        expect(asked.sort()).toEqual([kept, orphan].sort());
        expect(await listed(blobs, A)).toEqual([kept]);
        expect(await blobs.has(B, other)).toBe(true);
        expect(await blobs.sweepTemporaries(A, 0)).toBe(0);
      }));
  });
}
