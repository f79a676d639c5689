import { PassThrough, Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { continuationLine, MAX_RESPONSE_TEXT, ResponseWriter, safeResponseText, ShortPieceError, statusLine } from '../../../src/proxy/protocol/response-writer.js';
import { quoteString } from '../../../src/proxy/protocol/format.js';
import { BlobDamagedError, StorageError } from '../../../src/proxy/ports.js';

describe('response writer', () => {
  test('streams pieces in order and waits for drain instead of buffering', async () => {
    const received: Buffer[] = [];
    let maxPending = 0;
    let pending = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        pending += chunk.length;
        maxPending = Math.max(maxPending, pending);
        received.push(chunk);
        setImmediate(() => {
          pending -= chunk.length;
          callback();
        });
      },
    });
    const writer = new ResponseWriter(slow);
    const body = Buffer.alloc(1024 * 1024, 'b');
    let opened = 0;
    const chunks = function* () {
      for (let i = 0; i < body.length; i += 4096) yield body.subarray(i, i + 4096);
    };
    await writer.write([
      Buffer.from('* 1 FETCH (BODY[] {1048576}\r\n'),
      { length: body.length, open: () => (opened++, Readable.from(chunks())) },
      Buffer.from(')\r\n'),
    ]);
    const all = Buffer.concat(received);
    expect(opened).toBe(1);
    expect(all.length).toBe(29 + body.length + 3);
    expect(all.subarray(-3).toString()).toBe(')\r\n');
    // The writer never had much more than one chunk in flight.
    expect(maxPending).toBeLessThan(64 * 1024);
  });

  test('pads a stream that ends early so the client stays in sync, then reports it', async () => {
    const out = new PassThrough();
    const writer = new ResponseWriter(out);
    const collected: Buffer[] = [];
    out.on('data', (chunk: Buffer) => collected.push(chunk));
    await expect(writer.write([{ length: 10, open: () => Readable.from([Buffer.from('abc')]) }, Buffer.from('X')])).rejects.toBeInstanceOf(ShortPieceError);
    expect(Buffer.concat(collected).toString()).toBe('abc       X');
  });

  test.each([
    ['small (read into memory)', 100],
    ['large (streamed)', 200 * 1024],
  ])('damage found mid-literal in a %s body drops the connection instead of padding wrong bytes', async (_kind, length) => {
    const out = new PassThrough();
    const writer = new ResponseWriter(out);
    const collected: Buffer[] = [];
    out.on('data', (chunk: Buffer) => collected.push(chunk));
    const damaged = async function* (): AsyncGenerator<Buffer> {
      yield Buffer.alloc(Math.floor(length / 2), 0x61);
      throw new BlobDamagedError('alice', 'ab'.repeat(32), 'chunk 1 fails its checksum');
    };
    await expect(writer.write([{ length, open: () => Readable.from(damaged()) }, Buffer.from('X')])).rejects.toBeInstanceOf(BlobDamagedError);
    expect(out.destroyed).toBe(true);
    const sent = Buffer.concat(collected);
    expect(sent.includes(0x20)).toBe(false);
    expect(sent.includes(Buffer.from('X'))).toBe(false);
  });

  test.each([
    ['small (read into memory)', 100],
    ['large (streamed)', 200 * 1024],
  ])('the store failing mid-literal in a %s body (object storage down) drops the connection instead of padding', async (_kind, length) => {
    const out = new PassThrough();
    const writer = new ResponseWriter(out);
    const collected: Buffer[] = [];
    out.on('data', (chunk: Buffer) => collected.push(chunk));
    const cutOff = async function* (): AsyncGenerator<Buffer> {
      yield Buffer.alloc(Math.floor(length / 2), 0x61);
      throw new StorageError('unavailable', 'S3 bucket mtm at http://127.0.0.1:9', 'cannot connect: ECONNREFUSED; GET …');
    };
    await expect(writer.write([{ length, open: () => Readable.from(cutOff()) }, Buffer.from('X')])).rejects.toBeInstanceOf(StorageError);
    expect(out.destroyed).toBe(true);
    const sent = Buffer.concat(collected);
    expect(sent.includes(0x20)).toBe(false);
    expect(sent.includes(Buffer.from('X'))).toBe(false);
  });

  test('quotes strings and falls back to a literal for CR/LF', () => {
    expect(quoteString('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quoteString('x\r\ny')).toBe('{4}\r\nx\r\ny');
  });
});

describe('status lines (echoed client text)', () => {
  const hostileText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 600 }),
    fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom('{3}', '~{3}', '{0+}', '{}', '{12}{3}', '\r\n* 999 EXISTS', '\0', '\n')).map(([a, b]) => a + b),
    fc.tuple(fc.string({ maxLength: 500 }), fc.nat(99)).map(([a, n]) => `${'x'.repeat(MAX_RESPONSE_TEXT - 4)}{${n}}${a}`),
  );
  const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9.]{1,10}$/), { nil: null });
  const status = fc.constantFrom('OK' as const, 'NO' as const, 'BAD' as const, 'BYE' as const);
  const code = fc.option(fc.oneof(fc.constantFrom('BADCHARSET (UTF-8 US-ASCII)', 'SERVERBUG'), fc.string({ maxLength: 30 })), { nil: undefined });

  test('whatever the text, a status line is one bounded line that does not end in a literal announcement', () => {
    fc.assert(
      fc.property(tag, status, code, hostileText, (t, s, c, text) => {
        for (const line of [statusLine(t, s, c, text).toString('utf8'), continuationLine(text).toString('utf8')]) {
          expect(line.endsWith('\r\n')).toBe(true);
          const body = line.slice(0, -2);
          expect(body).not.toMatch(/[\r\n\0]/);
          expect(body).not.toMatch(/\{[0-9]*\+?\}$/);
          expect(safeResponseText(text).length).toBeLessThanOrEqual(MAX_RESPONSE_TEXT + 1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('ordinary text is left as it is', () => {
    expect(statusLine('a1', 'OK', 'READ-ONLY', 'EXAMINE completed').toString()).toBe('a1 OK [READ-ONLY] EXAMINE completed\r\n');
    expect(statusLine(null, 'BYE', undefined, 'Autologout').toString()).toBe('* BYE Autologout\r\n');
    expect(continuationLine('').toString()).toBe('+ \r\n');
    expect(statusLine('t', 'BAD', undefined, 'Unknown FETCH attribute X~{3}').toString()).toBe('t BAD Unknown FETCH attribute X~{3}.\r\n');
  });
});
