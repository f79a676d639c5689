import { PassThrough, Readable, Writable } from 'node:stream';
import { ResponseWriter, ShortPieceError } from '../../../src/proxy/protocol/response-writer.js';
import { quoteString } from '../../../src/proxy/protocol/format.js';

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

  test('quotes strings and falls back to a literal for CR/LF', () => {
    expect(quoteString('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quoteString('x\r\ny')).toBe('{4}\r\nx\r\ny');
  });
});
