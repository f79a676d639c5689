/**
 * One snapshot message as the web interface shows it: the headers people read, the text and the
 * HTML body (raw: the browser sanitises it with DOMPurify before it goes into a sandboxed iframe),
 * and every other part listed by a number so it can be downloaded or, for `cid:` images, shown
 * inline. Parts are numbered as IMAP numbers body sections (RFC 3501 §6.4.5), so "2.1" here is
 * BODY[2.1] there.
 */
import type { Envelope, MessageStructure, MimePart } from '../../mail/structure.js';
import { addresses, decodeText, summarizeMessage, type MailboxAddress, type MessageSummary } from '../message-summary.js';
import { decodeCharset, decodeHeaderValue } from '../../mail/header-text.js';
import { decodeTransferEncoding } from '../../mail/transfer-encoding.js';
import type { MessageRecord } from '../../snapshots/store/catalog.js';

/** Bodies larger than this are not put into the page; the .eml download still has them. */
export const MAX_BODY_CHARS = 2 * 1024 * 1024;

export interface PartInfo {
  part: string;
  type: string;
  filename: string | null;
  /** Content-ID without the angle brackets: what `cid:` URLs of the HTML body name. */
  contentId: string | null;
  /** Encoded size in the message (the decoded file is about 3/4 of it for base64). */
  size: number;
  inline: boolean;
}

export interface MessageView {
  summary: MessageSummary;
  to: MailboxAddress[];
  cc: MailboxAddress[];
  replyTo: MailboxAddress[];
  messageId: string | null;
  text: string | null;
  html: string | null;
  /** True when a body was cut at MAX_BODY_CHARS. */
  truncated: boolean;
  parts: PartInfo[];
}

interface Leaf {
  number: string;
  part: MimePart;
}

/** Leaves (and message/rfc822 parts, as a whole) with their IMAP section numbers. */
export function numberedParts(structure: MessageStructure): Leaf[] {
  const out: Leaf[] = [];
  const walk = (part: MimePart, number: string): void => {
    if (part.kind === 'multipart') {
      part.children.forEach((child, index) => walk(child, number ? `${number}.${index + 1}` : `${index + 1}`));
      return;
    }
    out.push({ number: number || '1', part });
  };
  walk(structure.root, '');
  return out;
}

function mimeType(part: MimePart): string {
  if (!part.type) return 'text/plain';
  return `${part.type}/${part.subtype ?? ''}`.toLowerCase();
}

function param(list: Array<[string, string]>, name: string): string | null {
  const found = list.find(([key]) => key.toLowerCase() === name);
  return found ? decodeHeaderValue(found[1]) : null;
}

function filenameOf(part: MimePart): string | null {
  return param(part.dispositionParams, 'filename') ?? param(part.params, 'name');
}

function isAttachment(part: MimePart): boolean {
  return (part.disposition ?? '').toLowerCase() === 'attachment' || (filenameOf(part) !== null && !mimeType(part).startsWith('text/'));
}

/** A part's body, transfer-decoded (base64 / quoted-printable), as bytes. */
export function decodedPart(raw: Buffer, part: MimePart): Buffer {
  return decodeTransferEncoding(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding?.toLowerCase());
}

/** The part's type as a download may announce it; anything else goes out as octet-stream. */
export function partType(part: MimePart): string {
  return mimeType(part);
}

export function partFilename(part: MimePart, number: string): string {
  return filenameOf(part) ?? `part-${number}${part.kind === 'message' ? '.eml' : ''}`;
}

export function findPart(structure: MessageStructure, number: string): MimePart | null {
  return numberedParts(structure).find((leaf) => leaf.number === number)?.part ?? null;
}

function textOf(raw: Buffer, part: MimePart): { text: string; truncated: boolean } {
  const text = decodeCharset(decodedPart(raw, part), param(part.params, 'charset') ?? undefined);
  return text.length > MAX_BODY_CHARS ? { text: text.slice(0, MAX_BODY_CHARS), truncated: true } : { text, truncated: false };
}

export function messageView(record: MessageRecord, structure: MessageStructure, raw: Buffer): MessageView {
  const envelope: Envelope | undefined = structure.root.envelope;
  let text: string | null = null;
  let html: string | null = null;
  let truncated = false;
  const parts: PartInfo[] = [];
  for (const { number, part } of numberedParts(structure)) {
    const type = mimeType(part);
    const attachment = isAttachment(part) || part.kind === 'message';
    if (!attachment && type === 'text/html' && html === null) {
      const body = textOf(raw, part);
      html = body.text;
      truncated ||= body.truncated;
      continue;
    }
    if (!attachment && type === 'text/plain' && text === null) {
      const body = textOf(raw, part);
      text = body.text;
      truncated ||= body.truncated;
      continue;
    }
    parts.push({
      part: number,
      type,
      filename: partFilename(part, number),
      contentId: part.id ? part.id.trim().replace(/^<|>$/g, '') : null,
      size: part.bodyEnd - part.bodyStart,
      inline: !attachment,
    });
  }
  return {
    summary: summarizeMessage(record, envelope),
    to: addresses(envelope?.to ?? null),
    cc: addresses(envelope?.cc ?? null),
    replyTo: addresses(envelope?.replyTo ?? null),
    messageId: decodeText(envelope?.messageId ?? null),
    text,
    html,
    truncated,
    parts,
  };
}
