/** The reading view of a message: bodies decoded, parts numbered as IMAP numbers them, hostile mail handled. */
import fc from 'fast-check';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import { decodedPart, findPart, messageView, numberedParts } from '../../../src/http/web/message-view.js';
import type { MessageRecord } from '../../../src/snapshots/store/catalog.js';
import { hostileMessage } from '../../fixtures/hostile-mail.js';

const record = (raw: Buffer): MessageRecord => ({ uid: 7, flags: ['\\Seen'], internalDate: new Date(Date.UTC(2026, 0, 2)), size: raw.length, blobHash: 'x' });

test('text and HTML bodies are transfer- and charset-decoded; attachments and cid images are listed by IMAP part number', async () => {
  const raw = Buffer.from(
    'From: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.com>\r\nTo: a@example.com, "B" <b@example.com>\r\nSubject: =?ISO-8859-1?Q?Caf=E9?=\r\nDate: Tue, 3 Nov 2026 09:15:00 +0100\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n' +
      '--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n' +
      '--a\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me=\r\n br=FBl=E9e\r\n' +
      '--a\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' + Buffer.from('<p>Café <img src="cid:logo@x"></p>').toString('base64') + '\r\n--a--\r\n' +
      '--m\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n' +
      '--m\r\nContent-Type: application/pdf; name="=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?="\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n' +
      '--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--m--\r\n',
  );
  const structure = await analyzeMessage(raw);
  const view = messageView(record(raw), structure, raw);
  expect(view.summary).toMatchObject({ subject: 'Café', from: [{ name: 'Zoë', address: 'zoe@example.com' }] });
  expect(view.to.map((entry) => entry.address)).toEqual(['a@example.com', 'b@example.com']);
  // The line break before a boundary belongs to the boundary (RFC 2046 §5.1.1).
  expect(view.text).toBe('Café crème brûlée');
  expect(view.html).toBe('<p>Café <img src="cid:logo@x"></p>');
  expect(view.parts).toEqual([
    { part: '2', type: 'image/png', filename: 'part-2', contentId: 'logo@x', size: 4, inline: true },
    { part: '3', type: 'application/pdf', filename: 'Résumé.pdf', contentId: null, size: 8, inline: false },
    { part: '4', type: 'message/rfc822', filename: 'part-4.eml', contentId: null, size: expect.any(Number), inline: false },
  ]);
  expect(decodedPart(raw, findPart(structure, '2')!)).toEqual(Buffer.from([0, 1, 2]));
  expect(decodedPart(raw, findPart(structure, '3')!).toString()).toBe('%PDF');
  expect(numberedParts(structure).map((leaf) => leaf.number)).toEqual(['1.1', '1.2', '2', '3', '4']);
});

test('a single-part message is part 1', async () => {
  const raw = Buffer.from('Subject: x\r\n\r\nhello\r\n');
  const structure = await analyzeMessage(raw);
  expect(numberedParts(structure).map((leaf) => leaf.number)).toEqual(['1']);
  expect(messageView(record(raw), structure, raw).text).toBe('hello\r\n');
});

test('hostile mail: the view never fails, and every listed part can be fetched by its number', async () => {
  await fc.assert(
    fc.asyncProperty(hostileMessage, async ({ raw }) => {
      const structure = await analyzeMessage(raw);
      const view = messageView(record(raw), structure, raw);
      const numbers = view.parts.map((part) => part.part);
      expect(new Set(numbers).size).toBe(numbers.length);
      for (const part of view.parts) {
        const found = findPart(structure, part.part);
        expect(found).not.toBeNull();
        expect(() => decodedPart(raw, found!)).not.toThrow();
      }
    }),
    { numRuns: 300 },
  );
});
