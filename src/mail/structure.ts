/**
 * The MIME structure of one stored message, computed once at ingest (analyze.ts) and saved as JSON
 * beside the blob. FETCH renders ENVELOPE/BODYSTRUCTURE from it and turns every BODY[section] into
 * a byte-range read of the raw message. Field semantics follow Dovecot 2.3's message parser, since
 * our answers must be byte-identical to Dovecot's.
 */

/** One address of an address header, or a group marker (mailbox = group name, domain null; end: all null). */
export interface EnvelopeAddress {
  name: string | null;
  route: string | null;
  mailbox: string | null;
  domain: string | null;
}

/** Raw (undecoded, unfolded-as-stored) header values ENVELOPE needs; last occurrence wins for strings, as in Dovecot. */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * Bumped whenever the analyzer's answer changes for some message. 2 (issue 11): addresses of
 * repeated To/Cc/… lines collected, nested multiparts reusing their parent's boundary, the newline
 * before a boundary that directly follows a closing boundary, Content-Type parameters and
 * Content-Transfer-Encoding read as Dovecot reads them, boundaries longer than 200 characters.
 * 3 (issue 12, one RFC 822 lexer): a quoted parameter value keeps a backslash before a folded line
 * break and a bare CR, as Dovecot's rfc822_parse_quoted_string does.
 */
export const STRUCTURE_VERSION = 3;

export type PartKind = 'multipart' | 'message' | 'text' | 'other';

export interface MimePart {
  kind: PartKind;
  /** Byte offsets in the raw message: header [headerStart, bodyStart), body [bodyStart, bodyEnd). */
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  /** Line count (LFs) and CRLF-normalised size of the body, as IMAP reports them. */
  bodyLines: number;
  bodyVirtualSize: number;
  /** Same for the header block. */
  headerLines: number;
  headerVirtualSize: number;
  /** Content-Type as written (case kept); null when absent. type "" when unparseable. */
  type: string | null;
  subtype: string | null;
  params: Array<[string, string]>;
  id: string | null;
  description: string | null;
  encoding: string | null;
  md5: string | null;
  disposition: string | null;
  dispositionParams: Array<[string, string]>;
  language: string[] | null;
  location: string | null;
  /** For the root and for a message/rfc822 part's child: the message's envelope. */
  envelope?: Envelope;
  /** Multipart: its parts. message/rfc822: exactly one, the embedded message. */
  children: MimePart[];
}

export interface MessageStructure {
  /**
   * STRUCTURE_VERSION of the analyzer that wrote it. A structure from an older analyzer may be
   * wrong for some mail (the reason for the bump), so readers re-analyze the message instead.
   */
  version: number;
  /** Raw size in bytes and the CRLF-normalised size (RFC822.SIZE). */
  size: number;
  virtualSize: number;
  /** Length of the header block including the blank line that ends it. */
  headerLength: number;
  /** The message itself: header, envelope and body tree. */
  root: MimePart;
}
