/**
 * Deterministic test mail: a corpus of awkward RFC 5322/MIME messages (the differential FETCH tests
 * compare our rendering with Dovecot's on every one) and a cheap generator of realistic bulk mail
 * for large accounts (bench, scale tests). Same seed, same bytes, on every machine.
 */
import type { ImapFlow } from 'imapflow';
import { formatRfc5322Date } from '../mail/dates.js';

/** mulberry32: tiny, fast, good enough to vary test mail; deterministic across Node versions. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
const between = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

const WORDS = (
  'the snapshot mailbox restore folder yesterday invoice meeting project budget quarterly report ' +
  'please find attached review draft final agenda lunch schedule server backup night thanks regards ' +
  'customer order shipping delivery update status question answer holiday vacation office team'
).split(' ');
const NAMES = ['Alice Archer', 'Bob Baker', 'Carol Chen', 'Dave Dubois', 'Eve Evans', 'Frank Fischer', 'Grace Gómez'];
const DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'test.invalid'];

function sentence(rng: Rng, min = 4, max = 14): string {
  const words = Array.from({ length: between(rng, min, max) }, () => pick(rng, WORDS));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(' ')}.`;
}

function paragraph(rng: Rng, lines: number): string {
  return Array.from({ length: lines }, () => sentence(rng)).join('\n');
}

function mailbox(rng: Rng): { name: string; address: string } {
  const name = pick(rng, NAMES);
  const local = name.split(' ')[0].toLowerCase().replace(/[^a-z]/g, '');
  return { name, address: `${local}@${pick(rng, DOMAINS)}` };
}

function addressHeader(rng: Rng): string {
  const { name, address } = mailbox(rng);
  return rng() < 0.7 ? `${name.replace('ó', 'o')} <${address}>` : address;
}

function dateFor(rng: Rng): string {
  return formatRfc5322Date(new Date(Date.UTC(2026, 0, 1) + Math.floor(rng() * 300 * 86400) * 1000));
}

/** Bytes that look binary: every byte value, including NUL, CR and LF alone. */
function binaryBytes(rng: Rng, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(rng() * 256);
  return bytes;
}

function base64Lines(data: Buffer, width = 76): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join('\n');
}

/** A message template: text with "\n" line ends (turned into CRLF unless bare LF is wanted), or raw parts. */
type Piece = string | Buffer;
interface Draft {
  pieces: Piece[];
  /** Keep "\n" as is (bare LF message). */
  bareLf?: boolean;
}

function standardHeaders(rng: Rng, subject: string, extra = ''): string {
  return (
    `From: ${addressHeader(rng)}\nTo: ${addressHeader(rng)}\nSubject: ${subject}\nDate: ${dateFor(rng)}\n` +
    `Message-ID: <${Math.floor(rng() * 1e12).toString(36)}.${Math.floor(rng() * 1e6)}@${pick(rng, DOMAINS)}>\n${extra}`
  );
}

const PNG_HEADER = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** Every kind of awkward message the corpus must contain; buildCorpus cycles through them. */
const KINDS: Array<(rng: Rng) => Draft> = [
  // plain text
  (rng) => ({ pieces: [standardHeaders(rng, 'Plain text note', 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n'), '\n', paragraph(rng, 6), '\n'] }),
  // no MIME headers at all: defaults apply
  (rng) => ({ pieces: [standardHeaders(rng, sentence(rng, 2, 5)), '\n', paragraph(rng, 3), '\n'] }),
  // multipart/alternative
  (rng) => {
    const text = paragraph(rng, 4);
    return {
      pieces: [
        standardHeaders(rng, 'Alternative', 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="alt-b1"\n'),
        '\nThis is a multi-part message in MIME format.\n\n--alt-b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n',
        text,
        '\n\n--alt-b1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n',
        `<html><body><p style=3D"color:red">${text.replace(/\n/g, '</p><p>')}</p></body></html>=\n\n`,
        '--alt-b1--\n',
      ],
    };
  },
  // multipart/related with inline images
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Related with images', 'MIME-Version: 1.0\nContent-Type: multipart/related; boundary=rel_42; type="multipart/alternative"\n'),
      '\n--rel_42\nContent-Type: multipart/alternative; boundary="inner-alt"\n\n--inner-alt\nContent-Type: text/plain\n\n',
      paragraph(rng, 2),
      '\n--inner-alt\nContent-Type: text/html; charset="UTF-8"\n\n<p>Logo: <img src="cid:logo@x"></p>\n--inner-alt--\n\n--rel_42\n',
      'Content-Type: image/png; name="logo.png"\nContent-Transfer-Encoding: base64\nContent-ID: <logo@x>\nContent-Disposition: inline; filename="logo.png"\n\n',
      base64Lines(Buffer.concat([PNG_HEADER, binaryBytes(rng, between(rng, 100, 900))])),
      '\n--rel_42\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\nContent-ID: <spacer@x>\nContent-Location: http://example.com/spacer.gif\n\n',
      base64Lines(Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;', 'latin1')),
      '\n--rel_42--\n',
    ],
  }),
  // multipart/mixed with base64 binary attachments
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Report attached', 'MIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary="----=_Part_1_2.3"\n'),
      '\n------=_Part_1_2.3\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 7bit\n\n',
      paragraph(rng, 3),
      '\n------=_Part_1_2.3\nContent-Type: application/octet-stream; name=data.bin\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=data.bin; size=512\n\n',
      base64Lines(binaryBytes(rng, between(rng, 200, 4000))),
      '\n------=_Part_1_2.3\nContent-Type: application/pdf; name="report.pdf"\nContent-Transfer-Encoding: BASE64\nContent-Disposition: ATTACHMENT;\n\tfilename="report.pdf";\n\tcreation-date="Mon, 02 Mar 2026 10:00:00 +0000"\nContent-Description: Quarterly report\n\n',
      base64Lines(Buffer.concat([Buffer.from('%PDF-1.4\n'), binaryBytes(rng, between(rng, 300, 2000))]), 72),
      '\n------=_Part_1_2.3--\n\nEpilogue text after the closing boundary.\n',
    ],
  }),
  // nested message/rfc822
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Fwd: original', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd"\n'),
      '\n--fwd\nContent-Type: text/plain\n\nForwarded below.\n\n--fwd\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n',
      standardHeaders(rng, 'Original message', 'Cc: Team <team@example.com>, other@example.org\nReply-To: replies@example.com\n'),
      '\n',
      paragraph(rng, 5),
      '\n\n--fwd--\n',
    ],
  }),
  // message/rfc822 containing multipart containing message/rfc822
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Deeply nested', 'MIME-Version: 1.0\nContent-Type: message/rfc822\n'),
      '\n',
      standardHeaders(rng, 'Level one', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="lvl1"\n'),
      '\n--lvl1\nContent-Type: text/plain; charset=utf-8\n\nLevel one text.\n--lvl1\nContent-Type: message/rfc822; name="inner.eml"\nContent-Description: the inner one\n\n',
      standardHeaders(rng, 'Level two', 'Content-Type: multipart/alternative; boundary=lvl2\n'),
      '\n--lvl2\nContent-Type: text/plain\n\nInnermost text\nline two\n--lvl2\nContent-Type: text/html\n\n<b>Innermost</b>\n--lvl2--\n',
      '\n--lvl1\nContent-Type: application/json\n\n{"a":1}\n--lvl1--\n',
    ],
  }),
  // RFC 2231 parameters: continuations, charset'lang'value, encoded continuations
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'RFC 2231 parameters', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="2231"\n'),
      '\n--2231\nContent-Type: text/plain; charset=us-ascii\n\nSee attachments.\n--2231\n',
      "Content-Type: application/x-stuff;\n title*0*=us-ascii'en'This%20is%20even%20more%20;\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\n title*2=\"isn't it!\"\n",
      "Content-Disposition: attachment;\n filename*=UTF-8''%C3%A9t%C3%A9%20r%C3%A9sum%C3%A9.txt\nContent-Transfer-Encoding: 7bit\n\n",
      paragraph(rng, 2),
      "\n--2231\nContent-Type: text/plain; name*0=\"very long file\"; name*1=\" name continued.txt\"\nContent-Disposition: attachment; filename*0=\"very long file\"; filename*1=\" name continued.txt\"\nContent-Language: en-GB, fr\n\nbody\n--2231--\n",
    ],
  }),
  // RFC 2047 encoded words in subject and display names: Q and B, UTF-8 and ISO-8859-1
  (rng) => ({
    pieces: [
      'From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.com>\n',
      'To: =?ISO-8859-1?Q?Andr=E9_Pirard?= <pirard@example.org>, "=?utf-8?q?Zo=C3=AB?=" <zoe@example.net>\n',
      'Cc: =?iso-8859-1?b?SvZyZw==?= <joerg@example.com>\n',
      `Subject: =?UTF-8?Q?Caf=C3=A9_et_cr=C3=A8me?= =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\nDate: ${dateFor(rng)}\nMessage-ID: <2047.${between(rng, 1, 99999)}@example.com>\n`,
      'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n',
      'Grüße aus Köln – “quotes” and € signs.\n',
    ],
  }),
  // address groups: undisclosed-recipients:; and groups with members
  (rng) => ({
    pieces: [
      `From: ${addressHeader(rng)}\nTo: undisclosed-recipients:;\nCc: Team: alice@example.com, "Bob B." <bob@example.org>;, carol@example.net\n`,
      `Bcc: Empty Group:;\nSubject: Groups\nDate: ${dateFor(rng)}\nMessage-ID: <groups.${between(rng, 1, 9999)}@example.com>\n\n`,
      paragraph(rng, 2),
      '\n',
    ],
  }),
  // missing headers: no Date, no From, no Subject, no Message-ID
  (rng) => ({ pieces: [`To: ${addressHeader(rng)}\n\n`, paragraph(rng, 2), '\n'] }),
  (rng) => ({ pieces: [`From: ${addressHeader(rng)}\nSubject: no date nor id\n\n`, paragraph(rng, 1), '\n'] }),
  // duplicate headers (two Subjects, two From)
  (rng) => ({
    pieces: [standardHeaders(rng, 'First subject', 'Subject: Second subject\nX-Dup: 1\nx-dup: 2\n'), '\n', paragraph(rng, 2), '\n'],
  }),
  // 8-bit body and raw 8-bit header bytes (UTF-8 and Latin-1)
  (rng) => ({
    pieces: [
      'From: Jörg Müller <joerg@example.com>\nTo: Zoë <zoe@example.org>\nSubject: Ünïcödé subject without encoding\n',
      Buffer.from('X-Latin1: caf\xe9 cr\xe8me\n', 'latin1'),
      `Date: ${dateFor(rng)}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n`,
      'Ça marche très bien, naïve façade. 日本語のテキスト\n',
      Buffer.from('Latin-1 line: \xe0 bient\xf4t\n', 'latin1'),
    ],
  }),
  // bare LF line endings throughout
  (rng) => ({ bareLf: true, pieces: [standardHeaders(rng, 'Bare LF message', 'Content-Type: text/plain\n'), '\n', paragraph(rng, 4), '\n'] }),
  // bare LF multipart
  (rng) => ({
    bareLf: true,
    pieces: [
      standardHeaders(rng, 'Bare LF multipart', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=lf\n'),
      '\n--lf\nContent-Type: text/plain\n\nfirst part\n--lf\nContent-Type: text/plain; charset=utf-8\n\nsecond part\n--lf--\n',
    ],
  }),
  // mixed CRLF and LF within one message
  (rng) => ({
    bareLf: true,
    pieces: [standardHeaders(rng, 'Mixed line endings').replace(/\n/g, '\r\n'), '\r\n', 'crlf line\r\nlf line\nanother crlf\r\nlone cr\r here\n'],
  }),
  // malformed: missing closing boundary
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'No closing boundary', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="open"\n'),
      '\n--open\nContent-Type: text/plain\n\npart one\n--open\nContent-Type: text/plain\n\npart two runs to the end\n',
      paragraph(rng, 2),
      '\n',
    ],
  }),
  // malformed: boundary never appears
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Boundary never appears', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="ghost"\n'),
      '\n',
      paragraph(rng, 3),
      '\n',
    ],
  }),
  // malformed: multipart without boundary parameter
  (rng) => ({
    pieces: [standardHeaders(rng, 'No boundary parameter', 'MIME-Version: 1.0\nContent-Type: multipart/alternative\n'), '\n', paragraph(rng, 2), '\n'],
  }),
  // every optional MIME header: Disposition, Language, Location, MD5, ID, Description
  (rng) => ({
    pieces: [
      standardHeaders(
        rng,
        'All MIME fields',
        'MIME-Version: 1.0\nContent-Type: text/plain; charset="utf-8"; format=flowed; delsp=yes\nContent-ID: <part1@example.com>\n' +
          'Content-Description: A "described" part\nContent-Transfer-Encoding: 7bit\nContent-Disposition: inline; filename="note.txt"\n' +
          'Content-Language: en\nContent-Location: https://example.com/note.txt\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n',
      ),
      '\n',
      paragraph(rng, 2),
      '\n',
    ],
  }),
  // quoted-printable with soft breaks, =XX and a broken escape
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Quoted printable', 'MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n'),
      '\nCaf=E9 cr=E8me br=FBl=E9e, a very long line that is softly broken here=\n and continues after the soft break.\nEquals sign: =3D, broken escape =ZZ and trailing space =20\n',
      paragraph(rng, 2),
      '\n',
    ],
  }),
  // broken base64 (invalid characters, bad padding)
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Broken base64', 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=bb\n'),
      '\n--bb\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQh\n!!not base64!!\nSGk=extra\n--bb\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n--bb--\n',
    ],
  }),
  // empty body
  (rng) => ({ pieces: [standardHeaders(rng, 'Empty body'), '\n'] }),
  // empty body and empty multipart parts
  (rng) => ({
    pieces: [standardHeaders(rng, 'Empty parts', 'Content-Type: multipart/mixed; boundary=e\n'), '\n--e\n\n--e\nContent-Type: text/plain\n\n\n--e--\n'],
  }),
  // very long, folded header lines
  (rng) => {
    const recipients = Array.from({ length: 30 }, (_, i) => `"Recipient Number ${i}" <r${i}@${pick(rng, DOMAINS)}>`).join(',\n\t');
    const references = Array.from({ length: 25 }, (_, i) => `<ref${i}.${between(rng, 1000, 9999)}@example.com>`).join('\n ');
    return {
      pieces: [
        `From: ${addressHeader(rng)}\nTo: ${recipients}\nSubject: ${Array.from({ length: 12 }, () => sentence(rng)).join('\n ')}\n`,
        `References: ${references}\nX-Unfolded-Long: ${'x'.repeat(1200)}\nDate: ${dateFor(rng)}\n\n`,
        paragraph(rng, 2),
        '\n',
      ],
    };
  },
  // upper- and lower-case content types and parameter names
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Case of types', 'Mime-Version: 1.0\nCONTENT-TYPE: MULTIPART/MIXED; BOUNDARY="CaseB"\n'),
      '\n--CaseB\nContent-type: TEXT/PLAIN; CHARSET=UTF-8\ncontent-transfer-encoding: QUOTED-PRINTABLE\n\nhello=20world\n--CaseB\ncontent-type: Image/JPEG; Name="Photo.JPG"\nContent-Transfer-Encoding: Base64\n\n',
      base64Lines(binaryBytes(rng, 300)),
      '\n--CaseB--\n',
    ],
  }),
  // header without the blank line at the end (message is only a header)
  (rng) => ({ pieces: [standardHeaders(rng, 'Header only, no blank line').replace(/\n$/, '')] }),
  (rng) => ({ pieces: [standardHeaders(rng, 'Header only, final newline')] }),
  // Content-Type with odd syntax: comments, missing subtype, unknown type
  (rng) => ({
    pieces: [standardHeaders(rng, 'Odd content type', 'Content-Type: text (a comment) ; charset = "us-ascii" (another)\n'), '\n', paragraph(rng, 1), '\n'],
  }),
  (rng) => ({ pieces: [standardHeaders(rng, 'Unknown type', 'Content-Type: application/x-unknown-thing; foo=bar\n'), '\nraw data\n'] }),
  // headers that need quoting/literals in ENVELOPE: quotes, backslashes, CR-less controls
  (rng) => ({
    pieces: [
      `From: "Quote \\"Me\\" Back\\\\slash" <quote@example.com>\nSender: <sender@example.com>\nReply-To: (comment) reply@example.org (Real Name)\n`,
      `To: "Last, First" <last.first@example.com>, @route1,@route2:routed@example.net\nSubject: tab\there "quoted" and \\ backslash\n`,
      `In-Reply-To: <parent@example.com>\nDate: ${dateFor(rng)}\nMessage-ID:   <spaced@example.com>  \n\n`,
      paragraph(rng, 1),
      '\n',
    ],
  }),
  // address edge cases: no domain, no local part, quoted local part, Latin-1 raw display name
  (rng) => ({
    pieces: [
      'From: localonly\nTo: "quoted local"@example.com, <>, foo@, @bar\n',
      Buffer.from('Cc: Ren\xe9 <rene@example.com>\n', 'latin1'),
      `Subject: address edge cases\nDate: ${dateFor(rng)}\n\nbody\n`,
    ],
  }),
  // multipart/signed and multipart/report with message/delivery-status
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Delivery Status Notification', 'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="rep"\n'),
      '\n--rep\nContent-Type: text/plain\n\nDelivery failed.\n--rep\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; nobody@example.com\nAction: failed\n--rep\nContent-Type: text/rfc822-headers\n\n',
      standardHeaders(rng, 'Original'),
      '--rep--\n',
    ],
  }),
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Signed', 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary="sig"\n'),
      '\n--sig\nContent-Type: text/plain; charset=us-ascii\n\nSigned text.\n\n--sig\nContent-Type: application/pgp-signature; name="signature.asc"\nContent-Description: OpenPGP digital signature\n\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n\n--sig--\n',
    ],
  }),
  // message/rfc822 with an empty/broken inner message, and message/global-ish
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Empty embedded message', 'Content-Type: multipart/mixed; boundary=m\n'),
      '\n--m\nContent-Type: message/rfc822\n\n--m\nContent-Type: message/rfc822\n\nSubject: inner without body\n--m--\n',
    ],
  }),
  // text part with no trailing newline and a body with a long unbroken line
  (rng) => ({ pieces: [standardHeaders(rng, 'No trailing newline'), '\n', `${'word '.repeat(400)}end`] }),
  // NUL byte and lone CR in the body, binary transfer encoding
  (rng) => ({
    pieces: [
      standardHeaders(rng, 'Binary encoding', 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n'),
      '\n',
      Buffer.from('abc\x00def\rghi\nend\n', 'latin1'),
    ],
  }),
  // header line without a colon and continuation lines at odd places
  (rng) => ({
    pieces: [`From: ${addressHeader(rng)}\nThis line has no colon\nSubject: after the broken line\n continued subject\nDate: ${dateFor(rng)}\n\n`, paragraph(rng, 1), '\n'],
  }),
];

/** Number of distinct message kinds (each appears at least once in a corpus of at least this size). */
export const CORPUS_KINDS = KINDS.length;

function render(draft: Draft): Buffer {
  const parts = draft.pieces.map((piece) => {
    const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (draft.bareLf) return bytes;
    // LF → CRLF, leaving existing CRLF alone
    const text = bytes.toString('latin1').replace(/\r?\n/g, '\r\n');
    return Buffer.from(text, 'latin1');
  });
  return Buffer.concat(parts);
}

/** The awkward-message corpus: every kind once, then more of them with different random content. */
export function buildCorpus(options: { count?: number; seed?: number } = {}): Buffer[] {
  const count = options.count ?? 120;
  const rng = seededRandom(options.seed ?? 20261124);
  const messages: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i < KINDS.length ? KINDS[i] : pick(rng, KINDS);
    messages.push(render(kind(rng)));
  }
  return messages;
}

/**
 * One realistic bulk message, cheap to make: text or HTML (or both), sometimes an attachment,
 * threads via In-Reply-To/References. Size lands roughly within [minBytes, maxBytes].
 */
export function generateMessage(index: number, seed = 1, options: { minBytes?: number; maxBytes?: number } = {}): Buffer {
  const rng = seededRandom((seed * 1000003) ^ (index * 2654435761));
  const minBytes = options.minBytes ?? 1500;
  const maxBytes = Math.max(minBytes, options.maxBytes ?? 20000);
  const target = between(rng, minBytes, maxBytes);
  const thread = Math.floor(index / 5);
  const position = index % 5;
  const domain = DOMAINS[seed % DOMAINS.length];
  const threadHeaders =
    position > 0
      ? `In-Reply-To: <t${thread}.${position - 1}.${seed}@${domain}>\r\nReferences: ${Array.from({ length: position }, (_, i) => `<t${thread}.${i}.${seed}@${domain}>`).join(' ')}\r\n`
      : '';
  const subject = `${position > 0 ? 'Re: ' : ''}Thread ${thread}: ${sentence(seededRandom(thread + seed), 3, 7)}`;
  const head =
    `From: ${addressHeader(rng)}\r\nTo: ${addressHeader(rng)}\r\nSubject: ${subject}\r\nDate: ${formatRfc5322Date(new Date(Date.UTC(2026, 0, 1) + index * 600000))}\r\n` +
    `Message-ID: <t${thread}.${position}.${seed}@${domain}>\r\n${threadHeaders}MIME-Version: 1.0\r\n`;
  const withAttachment = rng() < 0.15 && target > 4000;
  const budget = Math.max(200, target - head.length - 400);
  const textBudget = withAttachment ? Math.min(budget, 2000) : budget;
  let text = '';
  while (text.length < textBudget) text += `${sentence(rng)}${rng() < 0.2 ? '\r\n\r\n' : '\r\n'}`;
  const html = rng() < 0.4;
  const body = (type: string) =>
    type === 'html'
      ? `Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>${text.replace(/\r\n/g, '<br>\r\n')}</p></body></html>\r\n`
      : `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${text}`;
  if (!withAttachment && !html) return Buffer.from(head + body('text'));
  const boundary = `b${index}_${seed}`;
  let out = `${head}Content-Type: multipart/${withAttachment ? 'mixed' : 'alternative'}; boundary="${boundary}"\r\n\r\n`;
  out += `--${boundary}\r\n${body('text')}\r\n`;
  if (html) out += `--${boundary}\r\n${body('html')}`;
  if (withAttachment) {
    const size = Math.max(100, Math.floor((target - out.length - 300) * 0.74));
    out += `--${boundary}\r\nContent-Type: application/octet-stream; name="file${index}.bin"\r\nContent-Transfer-Encoding: base64\r\n`;
    out += `Content-Disposition: attachment; filename="file${index}.bin"\r\n\r\n${base64Lines(binaryBytes(rng, size)).replace(/\n/g, '\r\n')}\r\n`;
  }
  out += `--${boundary}--\r\n`;
  return Buffer.from(out);
}

/** APPENDs messages to a folder (created when missing) through imapflow, in order. */
export async function appendAll(
  client: ImapFlow,
  folder: string,
  messages: Buffer[],
  flagsFor?: (i: number) => string[],
  dateFor?: (i: number) => Date,
): Promise<void> {
  if (folder.toUpperCase() !== 'INBOX') {
    try {
      await client.mailboxCreate(folder);
    } catch {
      // already exists
    }
  }
  for (let i = 0; i < messages.length; i++) {
    const appended = await client.append(folder, messages[i], flagsFor?.(i) ?? [], dateFor?.(i));
    if (!appended) throw new Error(`APPEND of message ${i} to ${folder} failed`);
  }
}
