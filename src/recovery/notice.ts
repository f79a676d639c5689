/**
 * The email that tells the account what happened to its restore request: done (what went where,
 * with counts), failed, or denied (why, and what to do). UTF-8 text and HTML alternatives, with
 * Date, Message-ID and the configured From; the same bytes whether APPENDed or sent by SMTP.
 * nodemailer's composer writes the MIME (header encoding, folding, base64 parts).
 */
import { randomBytes } from 'node:crypto';
import type Mail from 'nodemailer/lib/mailer/index.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { formatRfc5322Date } from '../mail/dates.js';
import type { RestorePreview, RestoreResult } from './engine.js';
import { describeScope, type RestoreRequest } from './request.js';

export type NoticeKind = 'completed' | 'failed' | 'interrupted' | 'denied';

export interface RestoreNotice {
  kind: NoticeKind;
  request: RestoreRequest;
  jobId: string;
  result?: RestoreResult;
  preview?: RestorePreview;
  /** Denial or failure reason. */
  reason?: string;
  /** What the user can do about a denial or failure. */
  advice?: string;
}

export interface NoticeMessage {
  raw: Buffer;
  messageId: string;
  subject: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

function domainOf(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match ? match[1] : 'localhost';
}

/** A subject stays a line a mail client can show: long folder names are cut (the body has them whole). */
const SUBJECT_SCOPE_CHARS = 120;

function shorten(text: string): string {
  const chars = [...text];
  return chars.length <= SUBJECT_SCOPE_CHARS ? text : `${chars.slice(0, SUBJECT_SCOPE_CHARS - 1).join('')}…`;
}

interface NoticeText {
  subject: string;
  lines: string[];
  table?: { head: string[]; rows: string[][] };
}

function compose(notice: RestoreNotice): NoticeText {
  const { request } = notice;
  const what = `${describeScope(request.scope)} from the snapshot of ${request.day}`;
  const where = request.mode === 'separate' ? `into a separate folder, Restored/${request.day}/…` : 'into the original folders, skipping messages that are already there';
  if (notice.kind === 'denied') {
    return {
      subject: `Restore denied: ${shorten(describeScope(request.scope))} from ${request.day}`,
      lines: [
        `Your request to restore ${what} was denied. Nothing was changed in your mailbox.`,
        '',
        `Reason: ${notice.reason ?? 'not given'}`,
        ...(notice.advice ? ['', `What you can do: ${notice.advice}`] : []),
        '',
        `Request reference: ${notice.jobId}`,
      ],
    };
  }
  const result = notice.result ?? { folders: [], restored: 0, alreadyPresent: 0, failed: 0 };
  const damaged = result.damaged ?? [];
  const counts = `${result.restored} restored, ${result.alreadyPresent} already present, ${result.failed} failed${damaged.length > 0 ? `, ${damaged.length} skipped as damaged` : ''}`;
  const damagedLines = damagedMessageLines(damaged);
  const table = {
    head: ['Snapshot folder', 'Restored into', 'Restored', 'Already present', 'Failed'],
    rows: result.folders.map((folder) => [folder.source, folder.target + (folder.created ? ' (re-created)' : ''), String(folder.restored), String(folder.alreadyPresent), String(folder.failed)]),
  };
  if (notice.kind === 'failed' || notice.kind === 'interrupted') {
    return {
      subject: `Restore ${notice.kind}: ${shorten(describeScope(request.scope))} from ${request.day}`,
      lines: [
        `Your restore of ${what} did not finish: ${notice.reason ?? 'an error occurred'}.`,
        `Before it stopped: ${counts}.`,
        ...damagedLines,
        '',
        `What you can do: ${notice.advice ?? 'request the same restore again; messages already restored are recognised and not duplicated.'}`,
        '',
        `Request reference: ${notice.jobId}`,
      ],
      table,
    };
  }
  return {
    subject: `Restore completed: ${result.restored} message${result.restored === 1 ? '' : 's'} from ${request.day}`,
    lines: [
      `Your restore of ${what} is complete. Messages were restored ${where}.`,
      '',
      `Totals: ${counts}.`,
      ...(result.failed > 0 ? ['', 'Some messages could not be written to your mailbox; request the same restore again to retry them (nothing is duplicated).'] : []),
      ...damagedLines,
      '',
      `Request reference: ${notice.jobId}`,
    ],
    table,
  };
}

/** At most this many damaged messages are named one by one; the rest are counted. */
const DAMAGED_NAMED = 20;

/** Says which messages were skipped because their stored copy is damaged, and that none was written damaged. */
function damagedMessageLines(damaged: { folder: string; uid: number }[]): string[] {
  if (damaged.length === 0) return [];
  const named = damaged.slice(0, DAMAGED_NAMED).map((message) => `  ${message.folder}, UID ${message.uid}`);
  const more = damaged.length > DAMAGED_NAMED ? [`  … and ${damaged.length - DAMAGED_NAMED} more`] : [];
  return [
    '',
    `${damaged.length === 1 ? 'One message was' : `${damaged.length} messages were`} not restored: the stored copy in the snapshot is damaged, so it was skipped rather than written into your mailbox wrong. The administrator has been told.`,
    ...named,
    ...more,
  ];
}

function plainText(text: NoticeText): string {
  const lines = [...text.lines];
  if (text.table && text.table.rows.length > 0) {
    lines.push('', 'Folders:');
    for (const row of text.table.rows) lines.push(`  ${row[0]} -> ${row[1]}: ${row[2]} restored, ${row[3]} already present, ${row[4]} failed`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

function html(text: NoticeText): string {
  const paragraphs = text.lines
    .join('\n')
    .split('\n\n')
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
  let table = '';
  if (text.table && text.table.rows.length > 0) {
    const cells = (row: string[], tag: string) => `<tr>${row.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join('')}</tr>`;
    table = `\n<table border="1" cellpadding="4" cellspacing="0">\n${cells(text.table.head, 'th')}\n${text.table.rows.map((row) => cells(row, 'td')).join('\n')}\n</table>`;
  }
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(text.subject)}</title></head>\n<body>\n${paragraphs}${table}\n</body></html>\n`;
}

/** Our own header, spelt as readers (and tests) look for it; nodemailer would write "X-Mtm-Restore-Job". */
const JOB_HEADER = 'X-MTM-Restore-Job';

export async function buildNotice(notice: RestoreNotice, options: { from: string; to: string; now?: Date }): Promise<NoticeMessage> {
  const text = compose(notice);
  const now = options.now ?? new Date();
  const messageId = `<restore.${notice.jobId}.${notice.kind}.${randomBytes(4).toString('hex')}@${domainOf(options.from)}>`;
  const part = (type: string, body: string): Mail.Attachment => ({ contentType: `${type}; charset=utf-8`, content: body, contentTransferEncoding: 'base64' });
  // Written as they are (nodemailer would fold a long Message-ID and encode a plain subject that holds a quote).
  const asIs = (value: string) => ({ prepared: true, value });
  const plainSubject = /^[\x20-\x7e]*$/.test(text.subject);
  const mail: Mail.Options & { boundaryPrefix: string; baseBoundary: string } = {
    from: options.from,
    // An account name without a domain is no address; the group form keeps the header valid.
    to: options.to.includes('@') ? options.to : 'undisclosed-recipients:;',
    subject: plainSubject ? undefined : text.subject,
    headers: {
      Date: formatRfc5322Date(now),
      'Message-ID': asIs(messageId),
      ...(plainSubject ? { Subject: asIs(text.subject) } : {}),
      'Auto-Submitted': 'auto-generated',
      [JOB_HEADER]: notice.jobId,
    },
    alternatives: [part('text/plain', plainText(text)), part('text/html', html(text))],
    // Non-ASCII header text as B encoded words; boundaries "mtm-<hex>-Part_<n>".
    textEncoding: 'base64',
    boundaryPrefix: 'mtm',
    baseBoundary: randomBytes(12).toString('hex'),
    normalizeHeaderKey: (key) => (key.toLowerCase() === JOB_HEADER.toLowerCase() ? JOB_HEADER : key),
  };
  const raw = await new MailComposer(mail).compile().build();
  return { raw, messageId, subject: text.subject };
}
