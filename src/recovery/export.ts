/**
 * Downloads from a snapshot: one message as its exact stored bytes (.eml), or a folder as an mboxrd
 * file. mboxrd: each message starts with a `From ` separator line; any line of the message that
 * starts with zero or more `>` followed by `From ` gets one more `>`, which a reader removes again,
 * so the bytes survive the round trip. Everything streams chunk by chunk from the blob store.
 */
import { Readable } from 'node:stream';
import { BlobDamagedError } from '../snapshots/store/blob-damage.js';
import type { MessageRecord } from '../snapshots/store/catalog.js';
import type { Store } from '../snapshots/store/store.js';
import { formatAsctime } from '../mail/dates.js';

const GT = Buffer.from('>');
const FROM = Buffer.from('From ');
const LF = 0x0a;

type LineStart = 'quote' | 'keep' | 'undecided';

/** Does the line starting at `at` read `>*From `? Undecided when the buffer ends first. */
function lineStart(data: Buffer, at: number): LineStart {
  let index = at;
  while (index < data.length && data[index] === 0x3e) index += 1;
  for (let k = 0; k < FROM.length; k++) {
    if (index + k >= data.length) return 'undecided';
    if (data[index + k] !== FROM[k]) return 'keep';
  }
  return 'quote';
}

/** mboxrd-quotes a message's bytes as they stream; line starts split across chunks are handled. */
export async function* mboxrdQuote(chunks: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let atLineStart = true;
  for await (const chunk of chunks) {
    const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    pending = Buffer.alloc(0);
    const out: Buffer[] = [];
    let emitted = 0;
    let at = atLineStart ? 0 : data.indexOf(LF) + 1 || -1;
    atLineStart = false;
    while (at !== -1) {
      if (at === data.length) {
        atLineStart = true;
        break;
      }
      const kind = lineStart(data, at);
      if (kind === 'undecided') {
        out.push(data.subarray(emitted, at));
        pending = data.subarray(at);
        emitted = data.length;
        atLineStart = true;
        break;
      }
      if (kind === 'quote') {
        out.push(data.subarray(emitted, at), GT);
        emitted = at;
      }
      const newline = data.indexOf(LF, at);
      at = newline === -1 ? -1 : newline + 1;
    }
    if (emitted < data.length) out.push(data.subarray(emitted));
    if (out.length > 0) yield Buffer.concat(out);
  }
  if (pending.length > 0) yield pending;
}

/** The inverse, for readers and tests: one `>` less on every `>+From ` line. */
export function mboxrdUnquote(text: Buffer): Buffer {
  return Buffer.from(text.toString('latin1').replace(/^>(>*From )/gm, '$1'), 'latin1');
}

/** `From sender Thu Nov 24 21:34:15 2026` (asctime, UTC). */
export function mboxSeparator(sender: string | null, date: Date): string {
  const safeSender = sender && /^[^\s]+$/.test(sender) ? sender : 'MAILER-DAEMON';
  return `From ${safeSender} ${formatAsctime(date)}\n`;
}

async function senderOf(store: Store, account: string, hash: string): Promise<string | null> {
  const structure = await store.catalog.blobStructure(account, hash);
  const from = structure?.root.envelope?.from?.find((address) => address.mailbox && address.domain);
  return from ? `${from.mailbox}@${from.domain}` : null;
}

/**
 * A folder (or some of its messages) as an mboxrd stream. Each message is followed by one LF, the
 * blank line before the next separator, which readers strip; so the message bytes come back exact.
 */
export function mboxStream(store: Store, account: string, messages: MessageRecord[]): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    for (const message of messages) {
      yield Buffer.from(mboxSeparator(await senderOf(store, account, message.blobHash), message.internalDate), 'latin1');
      yield* mboxrdQuote(store.blobs.read(account, message.blobHash));
      yield Buffer.from('\n');
    }
  }
  return Readable.from(parts(), { objectMode: false });
}

/**
 * UIDs of the messages whose stored copy is damaged (BlobStore.checkIntact): checked before an
 * export starts, since a download cannot take back its status or the bytes it already sent.
 */
export async function damagedAmong(store: Store, account: string, messages: MessageRecord[]): Promise<number[]> {
  const damaged: number[] = [];
  for (const message of messages) {
    try {
      await store.blobs.checkIntact(account, message.blobHash);
    } catch (error) {
      if (!(error instanceof BlobDamagedError)) throw error;
      damaged.push(message.uid);
    }
  }
  return damaged;
}

/** "UID 2, 4 and 5 is damaged"-style list, bounded for long folders. */
export function describeUids(uids: number[], named = 10): string {
  return uids.length > named ? `${uids.slice(0, named).join(', ')} and ${uids.length - named} more` : uids.join(', ');
}

/** One message's exact stored bytes. */
export function emlStream(store: Store, account: string, message: MessageRecord): Readable {
  return store.blobs.read(account, message.blobHash);
}

/** Splits an mboxrd file back into its messages' exact bytes (for tests and importers). */
export function parseMboxrd(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  const starts: number[] = [];
  const separator = /^From [^\n]*\n/gm;
  for (let match = separator.exec(text); match; match = separator.exec(text)) starts.push(match.index);
  return starts.map((start, index) => {
    const bodyStart = text.indexOf('\n', start) + 1;
    let end = index + 1 < starts.length ? starts[index + 1] : text.length;
    if (text[end - 1] === '\n') end -= 1;
    return mboxrdUnquote(Buffer.from(text.slice(bodyStart, end), 'latin1'));
  });
}
