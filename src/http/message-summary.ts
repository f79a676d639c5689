/**
 * A snapshot message as the message list shows it: catalog facts (UID, size, flags, INTERNALDATE)
 * plus From, Subject and Date from the envelope computed at ingest, with RFC 2047 encoded words
 * decoded. The raw message is never read for a listing.
 */
import { decodeHeaderValue } from '../mail/header-text.js';
import type { Envelope, EnvelopeAddress } from '../mail/structure.js';
import type { MessageRecord } from '../snapshots/store/catalog.js';

export interface MailboxAddress {
  name: string | null;
  address: string | null;
}

export interface MessageSummary {
  uid: number;
  size: number;
  flags: string[];
  /** When the live server received it (INTERNALDATE), ISO 8601. */
  internalDate: string;
  from: MailboxAddress[];
  subject: string | null;
  /** The Date header as ISO 8601 UTC; null when absent or unreadable. */
  date: string | null;
}

/** Header text as stored may be folded; unfold (RFC 5322 §2.2.3) before decoding. */
export function decodeText(raw: string | null): string | null {
  if (raw === null) return null;
  return decodeHeaderValue(raw.replace(/\r?\n(?=[ \t])/g, ''));
}

export function addresses(list: EnvelopeAddress[] | null): MailboxAddress[] {
  // Group start/end markers carry no domain: they are not senders.
  return (list ?? [])
    .filter((entry) => entry.domain !== null)
    .map((entry) => ({
      name: entry.name ? decodeText(entry.name) : null,
      address: entry.mailbox ? `${entry.mailbox}@${entry.domain}` : null,
    }));
}

/**
 * A trailing comment such as `(UTC)` removed by one scan from the end: the regular expression it
 * replaces took quadratic time on a Date header full of unclosed `(`.
 */
export function withoutTrailingComment(raw: string): string {
  const trimmed = raw.trimEnd();
  if (!trimmed.endsWith(')')) return trimmed;
  // The comment starts at the first `(` after the `)` before the last one (nothing nests inside it).
  const previousClose = trimmed.lastIndexOf(')', trimmed.length - 2);
  const open = trimmed.indexOf('(', previousClose + 1);
  if (open < 0 || open === trimmed.length - 1) return trimmed;
  return trimmed.slice(0, open);
}

function isoDate(raw: string | null): string | null {
  if (!raw) return null;
  const parsed = new Date(withoutTrailingComment(raw).trim());
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

export function summarizeMessage(message: MessageRecord, envelope: Envelope | undefined): MessageSummary {
  return {
    uid: message.uid,
    size: message.size,
    flags: message.flags,
    internalDate: message.internalDate.toISOString(),
    from: addresses(envelope?.from ?? null),
    subject: decodeText(envelope?.subject ?? null),
    date: isoDate(envelope?.date ?? null),
  };
}
