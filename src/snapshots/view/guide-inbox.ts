/**
 * The all-days view's INBOX (DESIGN §5 "First contact without errors"). Every stock client opens
 * INBOX first — Thunderbird raises a modal error when `SELECT "INBOX"` fails — so the all-days view
 * has a read-only INBOX holding one generated message that says where the snapshots are and how
 * to get mail back.
 *
 * Caching clients keep a message's body for as long as its UIDVALIDITY/UID pair lives, so the text
 * must never change under the same pair. It depends only on the account and the login separator
 * (never on which days exist: LIST shows those), and the UIDVALIDITY is derived from a hash of the
 * bytes: the same text always has the same UIDVALIDITY, and a different text (another separator,
 * a new wording in a new release) a different one, which makes clients drop their cached copy.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { RESTORE_MAILBOX, type MessageRef, type OpenMailbox } from '../../proxy/ports.js';
import { analyzeMessage } from '../../mail/analyze.js';
import type { MessageStructure } from '../../mail/structure.js';

export const GUIDE_MAILBOX = 'INBOX';
export const GUIDE_SUBJECT = 'How to use your time machine';
/** A fixed date: the message is the same every time it is generated, and so are its bytes. */
const GUIDE_DATE = new Date('2026-01-01T00:00:00Z');
const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

export interface GuideOptions {
  account: string;
  /** The login-name separator of day sessions (`server.daySeparator`); '' when day logins are off. */
  daySeparator: string;
  /** Whether COPY/MOVE into `Restore` files a restore on this server. */
  restoreMailbox: boolean;
  snapshotsRoot: string;
}

/** Printable ASCII only: the account name comes from a login, and must not shape the message. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

export function guideText(options: GuideOptions): string {
  const account = printable(options.account);
  const separator = printable(options.daySeparator);
  const lines = [
    'This account is a read-only time machine of your mailbox: every night a',
    'snapshot of all your folders is taken and kept for a few days.',
    '',
    'WHERE THE SNAPSHOTS ARE',
    '',
    `  ${options.snapshotsRoot}/<day>/<folder>, for example`,
    `  ${options.snapshotsRoot}/2026-11-23/INBOX`,
    '',
    'Each day is named YYYY-MM-DD; the folder list shows the days there are.',
    'This INBOX only holds this guide; it never receives mail.',
    '',
  ];
  if (separator !== '') {
    lines.push(
      'ONE DAY AT A TIME',
      '',
      'To see only one day, with its folders at the top level (and without',
      'your mail program downloading a copy of every day), add a second',
      'account with the same password and the user name',
      '',
      `  ${account}${separator}YYYY-MM-DD    for example ${account}${separator}2026-11-23`,
      '',
    );
  }
  lines.push('GETTING MAIL BACK', '', '  - Drag or copy messages from a snapshot folder into one of your live', '    folders, or save them as files.');
  if (options.restoreMailbox) {
    lines.push(
      `  - Or copy them into the folder "${RESTORE_MAILBOX}" here: they are put back`,
      '    into the folder they came from in your live mailbox, and you get a',
      '    confirmation message there.',
    );
  }
  lines.push(
    '  - Your administrator can restore whole folders or the whole mailbox',
    '    of any day (mtm restore).',
    '',
    'Nothing here can be changed or deleted: snapshots are read-only, and',
    'the Trash folder of this account always stays empty.',
  );
  return lines.map((line) => `${line}\r\n`).join('');
}

/** The guide message's bytes: nodemailer's composer with a fixed date and Message-ID, so byte-stable. */
export async function buildGuideMessage(options: GuideOptions): Promise<Buffer> {
  const composer = new MailComposer({
    from: 'Mail Time Machine <mail-time-machine@localhost>',
    subject: GUIDE_SUBJECT,
    text: guideText(options),
    date: GUIDE_DATE,
    messageId: '<how-to-use-your-time-machine@mail-time-machine>',
    textEncoding: 'quoted-printable',
  });
  return composer.compile().build();
}

/** A UIDVALIDITY from the bytes: stable for the same text, different (with high odds) for another. */
function uidValidityOf(raw: Buffer): number {
  const value = createHash('sha256').update(raw).digest().readUInt32BE(0) & 0x7fffffff;
  return value === 0 ? 1 : value;
}

interface Guide {
  raw: Buffer;
  structure: MessageStructure;
  message: MessageRef;
  uidValidity: number;
}

const guides = new Map<string, Promise<Guide>>();

async function guideFor(options: GuideOptions): Promise<Guide> {
  const cacheKey = JSON.stringify(options);
  let guide = guides.get(cacheKey);
  if (!guide) {
    guide = (async () => {
      const raw = await buildGuideMessage(options);
      const structure = await analyzeMessage(raw);
      const blobHash = createHash('sha256').update(raw).digest('hex');
      // \Seen: the folder is read-only, so a client could never mark it read.
      const message: MessageRef = { uid: 1, flags: ['\\Seen'], internalDate: GUIDE_DATE, size: raw.length, blobHash };
      return { raw, structure, message, uidValidity: uidValidityOf(raw) };
    })();
    // Small (a few hundred bytes per account), but bounded all the same.
    if (guides.size >= 10_000) guides.clear();
    guides.set(cacheKey, guide);
  }
  return guide;
}

/** The read-only INBOX of an all-days session, opened under the name the client used. */
export async function openGuideInbox(name: string, options: GuideOptions): Promise<OpenMailbox> {
  const guide = await guideFor(options);
  const slice = (start = 0, end?: number): Buffer => guide.raw.subarray(Math.min(start, guide.raw.length), end === undefined ? guide.raw.length : Math.min(end, guide.raw.length));
  return {
    name,
    uidValidity: guide.uidValidity,
    uidNext: 2,
    highestModseq: 1,
    flags: SYSTEM_FLAGS,
    messages: [guide.message],
    structure: async () => guide.structure,
    readHeader: async () => slice(0, guide.structure.headerLength),
    readHeaders: async (list) => list.map(() => slice(0, guide.structure.headerLength)),
    read: (_message, start, end) => {
      const bytes = slice(start, end);
      return Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false });
    },
    readAll: async () => guide.raw,
  };
}

export function isGuideMailbox(name: string): boolean {
  return name.toUpperCase() === GUIDE_MAILBOX;
}
