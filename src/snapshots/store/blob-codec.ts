/**
 * On-disk format of one blob: the raw message cut into fixed-size chunks, each deflated on its own,
 * behind a small table of chunk lengths. Independent chunks keep compression at rest while a
 * range read (`BODY[2.1]` of a 50 MB message) inflates only the chunks it touches.
 *
 * Version 2 (written today) makes every read verifiable on its own, ranged reads included:
 *   "MTMB" | 2 u8 | chunkSize u32 | rawSize u64 | chunkCount u32 | (storedLength u32, crc u32)* | headerCrc u32 | chunks
 * `crc` is the CRC-32 of the chunk's stored bytes, checked before they are inflated; `headerCrc`
 * covers every byte before it, so a damaged length or size is caught before it is used.
 *
 * Why CRC-32 (zlib's): the threat is accidental damage (bit rot, a torn or misdirected write, a
 * flipped byte), not tampering — whoever can rewrite a blob can rewrite its checksums, and the
 * blob's name, the SHA-256 of the whole message, is what `mtm verify` and restores check against
 * that. CRC-32 detects every error burst up to 32 bits (so every damaged byte, with certainty) and
 * other damage with probability 1 - 2^-32, and zlib computes it at several GB/s: checking every read
 * costs a small fraction of inflating it. A truncated SHA-256 per chunk would cost as much as the
 * inflate again on machines without SHA extensions, for no gain against accidents.
 *
 * Version 1 (older stores): the same without checksums. Its blobs are still read; the store checks
 * them against their SHA-256 name on every read instead (see blob-store.ts).
 *   "MTMB" | 1 u8 | chunkSize u32 | rawSize u64 | chunkCount u32 | (storedLength u32)* | chunks
 * A stored length with the high bit set marks a chunk kept uncompressed (deflate did not help).
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';

const deflateRawAsync = promisify(zlib.deflateRaw);

export const BLOB_MAGIC = Buffer.from('MTMB');
export const LEGACY_VERSION = 1;
export const CHECKSUMMED_VERSION = 2;
export const CHUNK_SIZE = 256 * 1024;
const RAW_FLAG = 0x80000000;
export const FIXED_HEADER_BYTES = 4 + 1 + 4 + 8 + 4;

/** What the codec finds wrong with a blob file; the store names the blob when it reports it. */
export class BlobFormatError extends Error {}

export interface BlobChunk {
  /** Offset in the file where the chunk starts, its stored and plain lengths, whether it is deflated. */
  offset: number;
  storedLength: number;
  plainLength: number;
  deflated: boolean;
  /** CRC-32 of the stored bytes; null in a version 1 blob. */
  crc: number | null;
}

export interface BlobLayout {
  version: number;
  chunkSize: number;
  rawSize: number;
  /** Bytes before the first chunk. */
  headerLength: number;
  chunks: BlobChunk[];
}

/** CRC-32 (IEEE, as zlib and gzip): zlib's own from Node 20.15 on, a table-driven one before. */
export const crc32: (data: Buffer) => number = typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : tableCrc32;

let crcTable: Uint32Array | null = null;
function tableCrc32(data: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Level 2: about three times faster than zlib's default 6 on mail for a few percent more bytes, and
 * the snapshot is bound by compression. Deflate runs on libuv's thread pool, beside the event loop
 * that parses the next message.
 */
const DEFLATE_LEVEL = 2;

function entryBytes(version: number): number {
  return version === LEGACY_VERSION ? 4 : 8;
}

export async function encodeBlob(raw: Buffer): Promise<Buffer[]> {
  const chunkCount = Math.ceil(raw.length / CHUNK_SIZE);
  const tableEnd = FIXED_HEADER_BYTES + 8 * chunkCount;
  const header = Buffer.alloc(tableEnd + 4);
  BLOB_MAGIC.copy(header, 0);
  header.writeUInt8(CHECKSUMMED_VERSION, 4);
  header.writeUInt32BE(CHUNK_SIZE, 5);
  header.writeBigUInt64BE(BigInt(raw.length), 9);
  header.writeUInt32BE(chunkCount, 17);
  const plains = Array.from({ length: chunkCount }, (_, index) => raw.subarray(index * CHUNK_SIZE, (index + 1) * CHUNK_SIZE));
  const packs = await Promise.all(plains.map((plain) => deflateRawAsync(plain, { level: DEFLATE_LEVEL, chunkSize: Math.max(64, plain.length) })));
  const parts: Buffer[] = [header];
  for (let index = 0; index < chunkCount; index++) {
    const plain = plains[index];
    const packed = packs[index];
    const keepRaw = packed.length >= plain.length;
    const stored = keepRaw ? plain : packed;
    const entry = FIXED_HEADER_BYTES + 8 * index;
    header.writeUInt32BE(keepRaw ? (stored.length | RAW_FLAG) >>> 0 : stored.length, entry);
    header.writeUInt32BE(crc32(stored), entry + 4);
    parts.push(stored);
  }
  header.writeUInt32BE(crc32(header.subarray(0, tableEnd)), tableEnd);
  return parts;
}

/**
 * How many bytes the header of the blob starting with `head` takes (at least FIXED_HEADER_BYTES of
 * it), so a reader knows what to read before parseLayout. Checks what it reads first: a damaged
 * chunk count must not make the reader allocate gigabytes.
 */
export function headerLengthOf(head: Buffer): number {
  if (!head.subarray(0, 4).equals(BLOB_MAGIC)) throw new BlobFormatError('the file is not a blob (bad magic)');
  if (head.length < FIXED_HEADER_BYTES) throw new BlobFormatError(`the file is truncated inside its header (${head.length} bytes)`);
  const version = head.readUInt8(4);
  if (version !== LEGACY_VERSION && version !== CHECKSUMMED_VERSION) throw new BlobFormatError(`unknown blob format version ${version}`);
  const chunkSize = head.readUInt32BE(5);
  const rawSize = head.readBigUInt64BE(9);
  const chunkCount = head.readUInt32BE(17);
  if (chunkSize === 0 || rawSize > BigInt(Number.MAX_SAFE_INTEGER) || BigInt(chunkCount) !== (rawSize + BigInt(chunkSize) - 1n) / BigInt(chunkSize)) {
    throw new BlobFormatError(`the header does not add up (size ${rawSize}, ${chunkCount} chunks of ${chunkSize})`);
  }
  return FIXED_HEADER_BYTES + entryBytes(version) * chunkCount + (version === CHECKSUMMED_VERSION ? 4 : 0);
}

/** The layout of a blob from its header (`head` holds at least headerLengthOf(head) bytes). */
export function parseLayout(head: Buffer): BlobLayout {
  const headerLength = headerLengthOf(head);
  if (head.length < headerLength) throw new BlobFormatError('the file is truncated inside its chunk table');
  const version = head.readUInt8(4);
  if (version === CHECKSUMMED_VERSION && crc32(head.subarray(0, headerLength - 4)) !== head.readUInt32BE(headerLength - 4)) {
    throw new BlobFormatError('the header fails its checksum');
  }
  const chunkSize = head.readUInt32BE(5);
  const rawSize = Number(head.readBigUInt64BE(9));
  const chunkCount = head.readUInt32BE(17);
  const width = entryBytes(version);
  const chunks: BlobChunk[] = [];
  let offset = headerLength;
  for (let index = 0; index < chunkCount; index++) {
    const entry = FIXED_HEADER_BYTES + width * index;
    const word = head.readUInt32BE(entry);
    const deflated = (word & RAW_FLAG) === 0;
    const storedLength = (word & ~RAW_FLAG) >>> 0;
    const plainLength = Math.min(chunkSize, rawSize - index * chunkSize);
    // The encoder deflates a chunk only when that makes it smaller: a length outside these bounds is
    // damage, and a reader never allocates more than a chunk for it.
    if (!deflated && storedLength !== plainLength) throw new BlobFormatError(`chunk ${index} is stored uncompressed with ${storedLength} bytes for ${plainLength}`);
    if (deflated && storedLength >= plainLength) throw new BlobFormatError(`chunk ${index} is stored deflated with ${storedLength} bytes for ${plainLength}`);
    chunks.push({ offset, storedLength, plainLength, deflated, crc: version === CHECKSUMMED_VERSION ? head.readUInt32BE(entry + 4) : null });
    offset += storedLength;
  }
  return { version, chunkSize, rawSize, headerLength, chunks };
}

/** Bytes the whole blob file must have: a longer or shorter file is damaged. */
export function fileLengthOf(layout: BlobLayout): number {
  const last = layout.chunks[layout.chunks.length - 1];
  return last ? last.offset + last.storedLength : layout.headerLength;
}

/** Checks a chunk's stored bytes against its checksum (a version 1 chunk has none to check). */
export function checkChunk(stored: Buffer, chunk: BlobChunk, index: number): void {
  if (stored.length !== chunk.storedLength) throw new BlobFormatError(`chunk ${index} is truncated (${stored.length} of ${chunk.storedLength} bytes)`);
  if (chunk.crc !== null && crc32(stored) !== chunk.crc) throw new BlobFormatError(`chunk ${index} fails its checksum`);
}

/**
 * The plain bytes of a chunk, checked: its checksum before inflating, its length after.
 * Inflating into one buffer of the known plain size is twice as fast as zlib's 16 KiB pieces joined.
 */
export function decodeChunk(stored: Buffer, chunk: BlobChunk, index: number): Buffer {
  checkChunk(stored, chunk, index);
  if (!chunk.deflated) return stored;
  let plain: Buffer;
  try {
    // Bounded: damaged input must not inflate into gigabytes before the length check below.
    plain = zlib.inflateRawSync(stored, { chunkSize: Math.max(64, chunk.plainLength), maxOutputLength: chunk.plainLength + 1 });
  } catch (error) {
    throw new BlobFormatError(`chunk ${index} does not inflate (${(error as Error).message})`);
  }
  if (plain.length !== chunk.plainLength) throw new BlobFormatError(`chunk ${index} inflates to ${plain.length} bytes instead of ${chunk.plainLength}`);
  return plain;
}
