/**
 * A parsed SEARCH (RFC 3501 §6.4.4) / ESEARCH (RFC 4731) request: the key tree, the charset and the
 * RETURN options. Shared by SEARCH, SORT and THREAD, which all end in a search program.
 */
import type { SequenceSet } from '../../sequence-set.js';

export type DateField = 'internal' | 'sent';
export type DateComparison = 'before' | 'on' | 'since';
/** How a header value is compared (Dovecot: plain, address list normalised, blanks compressed). */
export type HeaderMatch = 'plain' | 'address' | 'compressed';

export type SearchKey =
  | { kind: 'all' }
  | { kind: 'and'; keys: SearchKey[] }
  | { kind: 'or'; left: SearchKey; right: SearchKey }
  | { kind: 'not'; key: SearchKey }
  /** A system flag (`\Seen` …) or a keyword; keywords compare case-insensitively. */
  | { kind: 'flag'; flag: string }
  | { kind: 'recent' }
  | { kind: 'sequence'; set: SequenceSet }
  | { kind: 'uid'; set: SequenceSet }
  /** `day` is the UTC midnight (ms) of the date named in the request. */
  | { kind: 'date'; field: DateField; comparison: DateComparison; day: number }
  | { kind: 'size'; comparison: 'larger' | 'smaller'; size: number }
  /** Empty `value`: the field merely has to be present. */
  | { kind: 'header'; field: string; value: string; match: HeaderMatch }
  | { kind: 'text'; scope: 'body' | 'text'; value: string }
  /** RFC 7162 §3.1.5 `MODSEQ [entry-name entry-type] n`: MODSEQ ≥ n (entry names do not matter here). */
  | { kind: 'modseq'; value: bigint };

export type ReturnOption = 'MIN' | 'MAX' | 'COUNT' | 'ALL';

export interface SearchProgram {
  key: SearchKey;
  charset: 'UTF-8' | 'US-ASCII';
  /** The command was UID SEARCH/SORT/THREAD: results are UIDs. */
  uid: boolean;
  /** null: classic `* SEARCH` answer; otherwise ESEARCH with these options (RETURN () = ALL). */
  returnOptions: ReturnOption[] | null;
  /** RETURN (PARTIAL first:last) of RFC 5267 §4.4: positions (1-based, first ≤ last) of the result. */
  partial?: { first: number; last: number };
  /** RETURN (UPDATE) of RFC 5267 §4.2: the client wants updates (a snapshot never has any). */
  update?: boolean;
}

/** Whether any key of the program (through AND, OR and NOT) satisfies `test`. */
export function someKey(key: SearchKey, test: (key: SearchKey) => boolean): boolean {
  switch (key.kind) {
    case 'and':
      return key.keys.some((inner) => someKey(inner, test));
    case 'or':
      return someKey(key.left, test) || someKey(key.right, test);
    case 'not':
      return someKey(key.key, test);
    default:
      return test(key);
  }
}

/** Whether the key uses MODSEQ: the answer then ends with the highest MODSEQ of the matches (RFC 7162 §3.1.5). */
export function usesModseq(key: SearchKey): boolean {
  return someKey(key, (inner) => inner.kind === 'modseq');
}

/**
 * A request SEARCH cannot run. `status` tells the command module how to answer:
 * BAD for syntax, NO (with `code`, e.g. `BADCHARSET (UTF-8 US-ASCII)`) for a refused charset.
 */
export class SearchError extends Error {
  constructor(
    message: string,
    readonly status: 'BAD' | 'NO' = 'BAD',
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SearchError';
  }
}

export const SUPPORTED_CHARSETS = ['UTF-8', 'US-ASCII'] as const;
export const BADCHARSET_CODE = `BADCHARSET (${SUPPORTED_CHARSETS.join(' ')})`;
