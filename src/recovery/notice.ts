/**
 * The email that tells the account what happened to its restore request: done (what went where,
 * with counts), failed, or denied (why, and what to do). UTF-8 text and HTML alternatives, with
 * Date, Message-ID and the configured From; the same bytes whether APPENDed or sent by SMTP.
 */
import { randomBytes } from 'node:crypto';
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

/** RFC 2047 encoded-words for a header value that is not plain ASCII. */
export function encodeHeaderWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let current = '';
  for (const char of text) {
    if (Buffer.byteLength(current + char) > 45) {
      words.push(current);
      current = '';
    }
    current += char;
  }
  if (current) words.push(current);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join('\r\n ');
}

/** `Name <address>`: only the display name may be encoded. */
function encodeAddress(value: string): string {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(value);
  if (!match) return value;
  const name = match[1].replace(/^"(.*)"$/, '$1');
  if (!name) return `<${match[2]}>`;
  return `${/^[\x20-\x7e]*$/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : encodeHeaderWords(name)} <${match[2]}>`;
}

function base64Body(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  return (encoded.match(/.{1,76}/g) ?? []).join('\r\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
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

export function buildNotice(notice: RestoreNotice, options: { from: string; to: string; now?: Date }): NoticeMessage {
  const text = compose(notice);
  const now = options.now ?? new Date();
  const messageId = `<restore.${notice.jobId}.${notice.kind}.${randomBytes(4).toString('hex')}@${domainOf(options.from)}>`;
  const boundary = `mtm-${randomBytes(12).toString('hex')}`;
  const head = [
    `From: ${encodeAddress(options.from)}`,
    // An account name without a domain is no address; the group form keeps the header valid.
    `To: ${options.to.includes('@') ? options.to : 'undisclosed-recipients:;'}`,
    `Subject: ${encodeHeaderWords(text.subject)}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-generated',
    `X-MTM-Restore-Job: ${notice.jobId}`,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) => [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Body(body)].join('\r\n');
  const raw = `${head.join('\r\n')}\r\n\r\n${part('text/plain', plainText(text))}\r\n${part('text/html', html(text))}\r\n--${boundary}--\r\n`;
  return { raw: Buffer.from(raw, 'utf8'), messageId, subject: text.subject };
}
