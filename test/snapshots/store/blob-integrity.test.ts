/**
 * Damage in a blob file is found by every read, whole or ranged, streamed or not: a flipped byte
 * anywhere makes the read fail with BlobDamagedError, never return wrong bytes. Old (version 1)
 * blobs, written before chunk checksums, are still read, and checked against their SHA-256 name.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { CHUNK_SIZE } from '../../../src/snapshots/store/blob-codec.js';
import { BlobDamagedError, sha256 } from '../../../src/snapshots/store/blob-store.js';
import { accountDirectoryName, FileBlobStore } from '../../../src/snapshots/store/embedded/file-blob-store.js';
import { generateMessage } from '../../../src/testbed/corpus.js';

const ACCOUNT = 'integrity-alice';

function freshStore(): { root: string; blobs: FileBlobStore; damaged: BlobDamagedError[] } {
  const root = mkdtempSync(join(tmpdir(), 'mtm-blob-integrity-'));
  const damaged: BlobDamagedError[] = [];
  return { root, blobs: new FileBlobStore(root, (damage) => damaged.push(damage)), damaged };
}

function fileOf(root: string, hash: string): string {
  return join(root, 'blobs', accountDirectoryName(ACCOUNT), hash.slice(0, 2), hash);
}

/** Mail text long enough to span three chunks (the last one short). */
function multiChunkMessage(): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (let i = 0; length < 2 * CHUNK_SIZE + 5000; i++) {
    const part = generateMessage(i, 11, { minBytes: 3000, maxBytes: 9000 });
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts);
}

/** A version 1 blob file, as stores written before chunk checksums hold them. */
function legacyBlob(raw: Buffer): Buffer {
  const chunkCount = Math.ceil(raw.length / CHUNK_SIZE);
  const header = Buffer.alloc(21 + 4 * chunkCount);
  header.write('MTMB', 0, 'latin1');
  header.writeUInt8(1, 4);
  header.writeUInt32BE(CHUNK_SIZE, 5);
  header.writeBigUInt64BE(BigInt(raw.length), 9);
  header.writeUInt32BE(chunkCount, 17);
  const chunks: Buffer[] = [];
  for (let index = 0; index < chunkCount; index++) {
    const plain = raw.subarray(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE);
    const packed = deflateRawSync(plain);
    const keepRaw = packed.length >= plain.length;
    chunks.push(keepRaw ? plain : packed);
    header.writeUInt32BE(keepRaw ? (plain.length | 0x80000000) >>> 0 : packed.length, 21 + 4 * index);
  }
  return Buffer.concat([header, ...chunks]);
}

async function streamed(blobs: FileBlobStore, hash: string, start?: number, end?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of blobs.read(ACCOUNT, hash, start, end)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** What one read gives: the bytes, or the damage it reported (any other error fails the test). */
async function outcome(read: Promise<Buffer>): Promise<Buffer | 'damaged'> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof BlobDamagedError) return 'damaged';
    throw error;
  }
}

const flip = fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }), start: fc.nat(), length: fc.nat() });

/**
 * For any single flipped byte: every whole read reports damage, and a ranged read either reports
 * damage or returns exactly the right bytes (a range that does not touch the damaged chunk is
 * still served; version 1 blobs have nothing finer than the whole message, so they always fail).
 */
async function checkFlips(root: string, blobs: FileBlobStore, raw: Buffer, hash: string, runs: number, legacy = false): Promise<void> {
  const file = fileOf(root, hash);
  const pristine = readFileSync(file);
  await fc.assert(
    fc.asyncProperty(flip, async ({ at, mask, start, length }) => {
      const position = at % pristine.length;
      const damaged = Buffer.from(pristine);
      damaged[position] ^= mask;
      writeFileSync(file, damaged);
      try {
        const whole = await outcome(blobs.readAll(ACCOUNT, hash));
        if (legacy && whole !== 'damaged') {
          // A version 1 header byte that changes nothing read (a chunk size larger than the message):
          // no checksum covers it, and the bytes served are still right (their SHA-256 matched).
          expect(whole.equals(raw)).toBe(true);
          return;
        }
        expect(whole).toBe('damaged');
        expect(await outcome(streamed(blobs, hash))).toBe('damaged');
        await expect(blobs.checkIntact(ACCOUNT, hash)).rejects.toBeInstanceOf(BlobDamagedError);
        const from = start % (raw.length + 1);
        const to = Math.min(raw.length, from + (length % (2 * CHUNK_SIZE)));
        for (const read of [blobs.readRange(ACCOUNT, hash, from, to), streamed(blobs, hash, from, to)]) {
          const got = await outcome(read);
          if (got !== 'damaged') expect(got.equals(raw.subarray(from, to))).toBe(true);
        }
      } finally {
        writeFileSync(file, pristine);
      }
    }),
    { numRuns: runs },
  );
}

describe('blob integrity', () => {
  test('any single flipped byte of a one-chunk blob is detected by every read', async () => {
    const { root, blobs } = freshStore();
    const raw = generateMessage(3, 7, { minBytes: 4000, maxBytes: 6000 });
    const { hash } = await blobs.put(ACCOUNT, raw);
    await checkFlips(root, blobs, raw, hash, 120);
  });

  test('any single flipped byte of a blob kept uncompressed is detected by every read', async () => {
    const { root, blobs } = freshStore();
    // Random bytes do not deflate: the chunk is stored as is, the case where a flip would not even upset inflate.
    const raw = randomBytes(3000);
    const { hash } = await blobs.put(ACCOUNT, raw);
    expect(readFileSync(fileOf(root, hash)).includes(raw)).toBe(true);
    await checkFlips(root, blobs, raw, hash, 100);
  });

  test('any single flipped byte of a multi-chunk blob is detected, ranged reads included', async () => {
    const { root, blobs } = freshStore();
    const raw = multiChunkMessage();
    const { hash } = await blobs.put(ACCOUNT, raw);
    await checkFlips(root, blobs, raw, hash, 40);
  });

  test('a flipped byte is caught in whichever chunk it is, and ranges away from it are still served', async () => {
    const { root, blobs } = freshStore();
    const raw = multiChunkMessage();
    const { hash } = await blobs.put(ACCOUNT, raw);
    const file = fileOf(root, hash);
    const bytes = readFileSync(file);
    // The last byte of the file is in the last chunk.
    bytes[bytes.length - 1] ^= 0x01;
    writeFileSync(file, bytes);
    await expect(blobs.readRange(ACCOUNT, hash, raw.length - 10, raw.length)).rejects.toThrow(/chunk 2 fails its checksum/);
    await expect(streamed(blobs, hash, 2 * CHUNK_SIZE, raw.length)).rejects.toBeInstanceOf(BlobDamagedError);
    expect((await blobs.readRange(ACCOUNT, hash, 0, 100)).equals(raw.subarray(0, 100))).toBe(true);
    expect((await streamed(blobs, hash, 10, CHUNK_SIZE + 10)).equals(raw.subarray(10, CHUNK_SIZE + 10))).toBe(true);
    await expect(blobs.checkIntact(ACCOUNT, hash, 0, CHUNK_SIZE)).resolves.toBeUndefined();
    await expect(blobs.checkIntact(ACCOUNT, hash, 0, raw.length)).rejects.toBeInstanceOf(BlobDamagedError);
  });

  test('damage is reported with the account and blob, to the observer once per read', async () => {
    const { root, blobs, damaged } = freshStore();
    const raw = generateMessage(5, 7);
    const { hash } = await blobs.put(ACCOUNT, raw);
    const file = fileOf(root, hash);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(file, bytes);
    const error = await blobs.readAll(ACCOUNT, hash).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BlobDamagedError);
    expect(error).toMatchObject({ account: ACCOUNT, hash, problem: expect.stringMatching(/checksum/) });
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toBe(error);
  });

  test('version 1 blobs (no chunk checksums) are still read, and checked against their SHA-256 name', async () => {
    const { root, blobs } = freshStore();
    for (const raw of [generateMessage(8, 7), multiChunkMessage()]) {
      const hash = sha256(raw);
      mkdirSync(join(root, 'blobs', accountDirectoryName(ACCOUNT), hash.slice(0, 2)), { recursive: true });
      writeFileSync(fileOf(root, hash), legacyBlob(raw));
      expect((await blobs.readAll(ACCOUNT, hash)).equals(raw)).toBe(true);
      expect((await streamed(blobs, hash, 100, raw.length - 100)).equals(raw.subarray(100, raw.length - 100))).toBe(true);
      await expect(blobs.checkIntact(ACCOUNT, hash)).resolves.toBeUndefined();
      await checkFlips(root, blobs, raw, hash, raw.length > CHUNK_SIZE ? 20 : 80, true);
    }
  });

  test('new blobs are written in the checksummed format (version 2)', async () => {
    const { root, blobs } = freshStore();
    const { hash } = await blobs.put(ACCOUNT, generateMessage(1, 1));
    const bytes = readFileSync(fileOf(root, hash));
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('MTMB');
    expect(bytes[4]).toBe(2);
  });
});
