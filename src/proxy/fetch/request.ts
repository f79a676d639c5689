/**
 * FETCH attribute parsing (RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ): tokens → FetchRequest.
 * The request keeps the canonical echo name of every section so the renderer answers as Dovecot does.
 */
import type { Token } from '../protocol/tokens.js';

export class FetchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchSyntaxError';
  }
}

export type SimpleItem = 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'MODSEQ';

export interface SectionItem {
  kind: 'section';
  /** What the response names it, e.g. `BODY[1.HEADER.FIELDS (FROM)]`, `RFC822.TEXT`, `BINARY[2]`. */
  label: string;
  binary: boolean;
  /** BINARY.SIZE: only the decoded size. */
  sizeOnly: boolean;
  part: number[];
  text: '' | 'HEADER' | 'TEXT' | 'MIME' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT';
  fields: string[];
  partial?: { start: number; length?: number };
}

export type FetchItem = { kind: 'simple'; name: SimpleItem } | SectionItem;

export interface FetchRequest {
  items: FetchItem[];
  /** A changed-flags-free read-only server never sets \Seen, but this tells whether the client asked to. */
  wantsSeen: boolean;
}

const MACROS: Record<string, SimpleItem[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};
const SIMPLE = new Set<string>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ']);

function tokenText(token: Token): string {
  if (token.type === 'atom') return token.value;
  if (token.type === 'string') return token.value.toString('latin1');
  throw new FetchSyntaxError('Invalid header field name in FETCH section');
}

function parseSection(name: string, token: { section?: Token[]; partial?: { start: number; length?: number } }): SectionItem {
  const binary = name.startsWith('BINARY');
  const sizeOnly = name === 'BINARY.SIZE';
  const section = token.section ?? [];
  const spec = section.length > 0 ? tokenText(section[0]).toUpperCase() : '';
  const pieces = spec === '' ? [] : spec.split('.');
  const part: number[] = [];
  while (pieces.length > 0 && /^\d+$/.test(pieces[0])) {
    const n = Number(pieces.shift());
    if (n < 1) throw new FetchSyntaxError('Invalid part number 0 in FETCH section');
    part.push(n);
  }
  const text = pieces.join('.');
  if (!['', 'HEADER', 'TEXT', 'MIME', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT'].includes(text)) {
    throw new FetchSyntaxError(`Invalid FETCH section: ${spec}`);
  }
  if (text === 'MIME' && part.length === 0) throw new FetchSyntaxError('MIME needs a part number');
  if (binary && text !== '') throw new FetchSyntaxError('BINARY takes only part numbers');
  let fields: string[] = [];
  if (text.startsWith('HEADER.FIELDS')) {
    const list = section[1];
    if (!list || list.type !== 'list' || list.items.length === 0) throw new FetchSyntaxError('HEADER.FIELDS needs a list of field names');
    fields = list.items.map((t) => tokenText(t).toUpperCase());
  } else if (section.length > 1) {
    throw new FetchSyntaxError('Unexpected arguments in FETCH section');
  }
  if (sizeOnly && token.partial) throw new FetchSyntaxError('BINARY.SIZE takes no partial');
  const base = binary ? (sizeOnly ? 'BINARY.SIZE' : 'BINARY') : 'BODY';
  const label = `${base}[${spec}${fields.length > 0 ? ` (${fields.join(' ')})` : ''}]${token.partial ? `<${token.partial.start}>` : ''}`;
  return { kind: 'section', label, binary, sizeOnly, part, text: text as SectionItem['text'], fields, partial: token.partial };
}

function parseOne(token: Token, request: FetchRequest): void {
  if (token.type !== 'atom') throw new FetchSyntaxError('Invalid FETCH attribute');
  const name = token.value.toUpperCase();
  if (token.section !== undefined) {
    if (!['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE'].includes(name)) {
      throw new FetchSyntaxError(`Unknown FETCH attribute ${token.value}[`);
    }
    if (name === 'BODY' || name === 'BINARY') request.wantsSeen = true;
    request.items.push(parseSection(name, token));
    return;
  }
  if (token.partial) throw new FetchSyntaxError('Partial without a section');
  if (SIMPLE.has(name)) {
    request.items.push({ kind: 'simple', name: name as SimpleItem });
  } else if (name === 'RFC822') {
    request.wantsSeen = true;
    request.items.push({ kind: 'section', label: 'RFC822', binary: false, sizeOnly: false, part: [], text: '', fields: [] });
  } else if (name === 'RFC822.HEADER') {
    request.items.push({ kind: 'section', label: 'RFC822.HEADER', binary: false, sizeOnly: false, part: [], text: 'HEADER', fields: [] });
  } else if (name === 'RFC822.TEXT') {
    request.wantsSeen = true;
    request.items.push({ kind: 'section', label: 'RFC822.TEXT', binary: false, sizeOnly: false, part: [], text: 'TEXT', fields: [] });
  } else {
    throw new FetchSyntaxError(`Unknown FETCH attribute ${token.value}`);
  }
}

/** Parses the attribute argument(s) of FETCH: a macro, one attribute, or a parenthesised list. */
export function parseFetchItems(args: Token[]): FetchRequest {
  const request: FetchRequest = { items: [], wantsSeen: false };
  if (args.length !== 1) throw new FetchSyntaxError('FETCH expects one attribute or a parenthesised list');
  const [arg] = args;
  if (arg.type === 'atom' && arg.section === undefined && MACROS[arg.value.toUpperCase()]) {
    for (const name of MACROS[arg.value.toUpperCase()]) request.items.push({ kind: 'simple', name });
    return request;
  }
  const list = arg.type === 'list' ? arg.items : [arg];
  if (list.length === 0) throw new FetchSyntaxError('Empty FETCH attribute list');
  for (const token of list) parseOne(token, request);
  return request;
}
