/** The streaming structure analyzer (src/mail/analyze.ts): one pass over a raw message → its MIME part tree. */
import fc from 'fast-check';
import { analyzeMessage, headerFields, MessageAnalyzer } from '../../src/mail/analyze.js';
import { STRUCTURE_VERSION, type MimePart } from '../../src/mail/structure.js';
import { hostileMessage } from '../fixtures/hostile-mail.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');

test('a single-part message: sizes, lines, header block, envelope', async () => {
  const raw = crlf(['From: Ann <ann@example.com>', 'To: bob@example.com, carl@example.com', 'Subject: Hi', '', 'line one', 'line two', '']);
  const structure = await analyzeMessage(raw);
  expect(structure.version).toBe(STRUCTURE_VERSION);
  expect(structure.size).toBe(raw.length);
  expect(structure.virtualSize).toBe(raw.length);
  expect(raw.subarray(0, structure.headerLength).toString()).toMatch(/Subject: Hi\r\n\r\n$/);
  const root = structure.root;
  expect(root.kind).toBe('text');
  expect(raw.subarray(root.bodyStart, root.bodyEnd).toString()).toBe('line one\r\nline two\r\n');
  expect(root.bodyLines).toBe(2);
  expect(root.envelope?.subject).toBe('Hi');
  expect(root.envelope?.from).toEqual([{ name: 'Ann', route: null, mailbox: 'ann', domain: 'example.com' }]);
  expect(root.envelope?.to?.map((a) => a.mailbox)).toEqual(['bob', 'carl']);
});

test('bare LF counts once more in the virtual (CRLF) size', async () => {
  const raw = Buffer.from('Subject: x\n\nbody\n');
  const structure = await analyzeMessage(raw);
  expect(structure.virtualSize).toBe(raw.length + 3);
});

test('a multipart: each part a byte range of the message, the newline before a boundary belonging to it', async () => {
  const raw = crlf([
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    'preamble',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'first',
    '--b1',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    '',
    'inner body',
    '--b1--',
    'epilogue',
  ]);
  const { root } = await analyzeMessage(raw);
  expect(root.kind).toBe('multipart');
  expect(root.children.map((part) => part.kind)).toEqual(['text', 'message']);
  const [text, message] = root.children;
  expect(raw.subarray(text.bodyStart, text.bodyEnd).toString()).toBe('first');
  expect(text.params).toEqual([['charset', 'utf-8']]);
  expect(message.children[0].envelope?.subject).toBe('inner');
  expect(raw.subarray(message.children[0].bodyStart, message.children[0].bodyEnd).toString()).toBe('inner body');
});

test('header fields: names lower-cased, folds joined by "\\n", lines without a colon dropped', () => {
  expect(headerFields(['Subject : a\r\n', ' b\r\n', 'junk\r\n', 'X-Y:\tz\r\n'])).toEqual([['subject', 'a\n b'], ['x-y', 'z']]);
});

function checkRanges(part: MimePart, from: number, to: number): void {
  expect(from <= part.headerStart && part.headerStart <= part.bodyStart && part.bodyStart <= part.bodyEnd && part.bodyEnd <= to).toBe(true);
  for (const child of part.children) checkRanges(child, part.bodyStart, part.bodyEnd);
}

test('hostile mail: the same tree however the bytes arrive, every part inside its parent', async () => {
  await fc.assert(
    fc.asyncProperty(hostileMessage, fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }), async (message, cuts) => {
      const whole = await analyzeMessage(message.raw);
      const analyzer = new MessageAnalyzer();
      for (let at = 0, i = 0; at < message.raw.length; i++) {
        const size = cuts[i % cuts.length];
        analyzer.write(message.raw.subarray(at, at + size));
        at += size;
      }
      expect(analyzer.finish()).toEqual(whole);
      expect(whole.size).toBe(message.raw.length);
      checkRanges(whole.root, 0, whole.size);
    }),
    { numRuns: 150 },
  );
});

test('hostile shapes cost linear time', async () => {
  const boundaries = crlf(['Content-Type: multipart/mixed; boundary=b', '', ...Array.from({ length: 50_000 }, () => '--b')]);
  const nested = crlf([...Array.from({ length: 2_000 }, (_, i) => `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}`), '']);
  const longLine = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), Buffer.alloc(5_000_000, 0x2d)]);
  for (const raw of [boundaries, nested, longLine]) {
    const started = process.hrtime.bigint();
    await analyzeMessage(raw);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(5000);
  }
});
