/**
 * The blob half of the store: content-addressed, compressed, chunked for range reads, atomic,
 * and strictly per account.
 */
import { existsSync, promises as fs, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK_SIZE } from '../../../src/snapshots/store/blob-codec.js';
import { sha256 } from '../../../src/snapshots/store/blob-store.js';
import { accountDirectoryName, FileBlobStore } from '../../../src/snapshots/store/embedded/file-blob-store.js';
import { generateMessage, seededRandom } from '../../../src/testbed/corpus.js';

function freshStore(): { root: string; blobs: FileBlobStore } {
  const root = mkdtempSync(join(tmpdir(), 'mtm-blob-test-'));
  return { root, blobs: new FileBlobStore(root) };
}

async function allFiles(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
}

function randomBytes(length: number, seed: number): Buffer {
  const rng = seededRandom(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/** ~700 KiB of text: spans three chunks, compresses well. */
function largeText(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.reduce((n, p) => n + p.length, 0) < 700 * 1024; i++) parts.push(generateMessage(i, 5, { minBytes: 3000, maxBytes: 9000 }));
  return Buffer.concat(parts);
}

async function readRange(blobs: FileBlobStore, account: string, hash: string, start?: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of blobs.read(account, hash, start, end)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('FileBlobStore', () => {
  test('round trip: what is put is read back byte for byte, under its SHA-256', async () => {
    const { blobs } = freshStore();
    for (const raw of [generateMessage(1, 9), Buffer.from('x'), randomBytes(10_000, 3), largeText()]) {
      const stored = await blobs.put('blob-alice', raw);
      expect(stored.hash).toBe(sha256(raw));
      expect(stored.size).toBe(raw.length);
      expect(await blobs.has('blob-alice', stored.hash)).toBe(true);
      expect((await blobs.readAll('blob-alice', stored.hash)).equals(raw)).toBe(true);
    }
  });

  test('an empty message round-trips too', async () => {
    const { blobs } = freshStore();
    const stored = await blobs.put('blob-alice', Buffer.alloc(0));
    expect((await blobs.readAll('blob-alice', stored.hash)).length).toBe(0);
  });

  test('text is stored compressed: the file on disk is much smaller than the message', async () => {
    const { root, blobs } = freshStore();
    const raw = largeText();
    const stored = await blobs.put('blob-alice', raw);
    const file = join(root, 'blobs', accountDirectoryName('blob-alice'), stored.hash.slice(0, 2), stored.hash);
    expect(statSync(file).size).toBe(stored.storedBytes);
    expect(stored.storedBytes).toBeLessThan(raw.length * 0.6);
    expect(await blobs.storedBytes('blob-alice', stored.hash)).toBe(stored.storedBytes);
    // Random bytes do not compress; they must not grow by more than the small header.
    const noise = randomBytes(300_000, 11);
    const packed = await blobs.put('blob-alice', noise);
    expect(packed.storedBytes).toBeLessThan(noise.length + 100);
    expect((await blobs.readAll('blob-alice', packed.hash)).equals(noise)).toBe(true);
  });

  test('range reads equal raw.subarray(start, end), across the 256 KiB chunk boundary too', async () => {
    const { blobs } = freshStore();
    const text = largeText();
    const noise = randomBytes(CHUNK_SIZE * 2 + 1234, 21);
    for (const raw of [text, noise]) {
      const { hash } = await blobs.put('blob-alice', raw);
      const ranges: [number, number][] = [
        [0, 10],
        [CHUNK_SIZE - 5, CHUNK_SIZE + 5],
        [CHUNK_SIZE - 1, CHUNK_SIZE],
        [CHUNK_SIZE, CHUNK_SIZE + 1],
        [CHUNK_SIZE - 100, 2 * CHUNK_SIZE + 100],
        [1, raw.length - 1],
        [2 * CHUNK_SIZE, raw.length],
        [raw.length - 3, raw.length + 500],
        [500, 500],
      ];
      const rng = seededRandom(42);
      for (let i = 0; i < 20; i++) {
        const start = Math.floor(rng() * raw.length);
        ranges.push([start, start + Math.floor(rng() * CHUNK_SIZE * 1.5)]);
      }
      for (const [start, end] of ranges) {
        const got = await readRange(blobs, 'blob-alice', hash, start, end);
        expect({ start, end, equal: got.equals(raw.subarray(start, end)) }).toEqual({ start, end, equal: true });
      }
      expect((await readRange(blobs, 'blob-alice', hash, CHUNK_SIZE + 7)).equals(raw.subarray(CHUNK_SIZE + 7))).toBe(true);
    }
  });

  test('two accounts never see each other\'s blobs, even with identical content', async () => {
    const { root, blobs } = freshStore();
    const raw = generateMessage(7, 7);
    const { hash } = await blobs.put('blob-alice', raw);
    expect(await blobs.has('blob-bob', hash)).toBe(false);
    await expect(blobs.readAll('blob-bob', hash)).rejects.toThrow();
    const listed: string[] = [];
    for await (const h of blobs.list('blob-bob')) listed.push(h);
    expect(listed).toEqual([]);
    // Bob storing the same bytes gets his own copy; removing it leaves Alice's.
    const bobs = await blobs.put('blob-bob', raw);
    expect(bobs.written).toBe(true);
    await blobs.remove('blob-bob', hash);
    expect(await blobs.has('blob-bob', hash)).toBe(false);
    expect((await blobs.readAll('blob-alice', hash)).equals(raw)).toBe(true);
    // Account names cannot escape their directory.
    const sneaky = await blobs.put('../blob-alice', Buffer.from('sneaky'));
    expect(await blobs.has('blob-alice', sneaky.hash)).toBe(false);
    expect(existsSync(join(root, 'blob-alice'))).toBe(false);
    await expect(blobs.put('', raw)).rejects.toThrow(/account/);
    await expect(readRange(blobs, 'blob-alice', '../../etc/passwd')).rejects.toThrow(/hash/);
  });

  test('put is idempotent: the same bytes again write nothing and keep the file', async () => {
    const { root, blobs } = freshStore();
    const raw = generateMessage(3, 3);
    const first = await blobs.put('blob-alice', raw);
    expect(first.written).toBe(true);
    const file = join(root, 'blobs', accountDirectoryName('blob-alice'), first.hash.slice(0, 2), first.hash);
    const before = statSync(file);
    const second = await blobs.put('blob-alice', raw);
    expect(second).toEqual({ ...first, written: false });
    const after = statSync(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    const listed: string[] = [];
    for await (const h of blobs.list('blob-alice')) listed.push(h);
    expect(listed).toEqual([first.hash]);
  });

  test('no temporary files are left behind, and list names exactly the blobs', async () => {
    const { root, blobs } = freshStore();
    const hashes = new Set<string>();
    await Promise.all(Array.from({ length: 40 }, async (_, i) => hashes.add((await blobs.put('blob-alice', generateMessage(i % 30, 2))).hash)));
    await blobs.flush('blob-alice');
    const files = await allFiles(join(root, 'blobs'));
    expect(files.filter((file) => /\.tmp$|\/\./.test(file))).toEqual([]);
    expect(files.length).toBe(30);
    const listed: string[] = [];
    for await (const h of blobs.list('blob-alice')) listed.push(h);
    expect(listed.sort()).toEqual([...hashes].sort());
  });

  test('a damaged file is an error on read, not wrong bytes', async () => {
    const { root, blobs } = freshStore();
    const raw = largeText();
    const { hash } = await blobs.put('blob-alice', raw);
    const file = join(root, 'blobs', accountDirectoryName('blob-alice'), hash.slice(0, 2), hash);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
    await expect(blobs.readAll('blob-alice', hash)).rejects.toThrow(/truncated/);
    writeFileSync(file, Buffer.from('not a blob at all'));
    await expect(blobs.readAll('blob-alice', hash)).rejects.toThrow(/not a blob/);
  });

  test('sweepTemporaries removes old half-written files only', async () => {
    const { root, blobs } = freshStore();
    const { hash } = await blobs.put('blob-alice', Buffer.from('complete'));
    const directory = join(root, 'blobs', accountDirectoryName('blob-alice'), hash.slice(0, 2));
    const old = join(directory, `.${hash}.77.deadbeef.tmp`);
    const fresh = join(directory, `.${hash}.78.feedbeef.tmp`);
    writeFileSync(old, 'partial');
    writeFileSync(fresh, 'partial');
    const longAgo = new Date(Date.now() - 3600 * 1000);
    utimesSync(old, longAgo, longAgo);
    expect(await blobs.sweepTemporaries('blob-alice', 60 * 1000)).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(await blobs.has('blob-alice', hash)).toBe(true);
    expect(await blobs.sweepTemporaries('blob-nobody', 0)).toBe(0);
  });

  test('remove deletes the file and is quiet when it is already gone', async () => {
    const { blobs } = freshStore();
    const { hash } = await blobs.put('blob-alice', Buffer.from('bye'));
    await blobs.remove('blob-alice', hash);
    expect(await blobs.has('blob-alice', hash)).toBe(false);
    await expect(blobs.remove('blob-alice', hash)).resolves.toBeUndefined();
  });
});
