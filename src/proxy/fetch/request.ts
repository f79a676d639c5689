/**
 * FETCH attribute parsing (RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ): tokens → FetchRequest.
 * The request keeps the canonical echo name of every section so the renderer answers as Dovecot does.
 */
import type { Token } from '../protocol/tokens.js';
import { parseModseq } from '../protocol/modseq.js';

export class FetchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchSyntaxError';
  }
}

/** A FETCH that is well-formed but cannot be answered for some message: `NO [code] text`, like Dovecot. */
export class FetchRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FetchRefusal';
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
  /** FETCH modifier CHANGEDSINCE (RFC 7162 §3.1.4): only messages whose MODSEQ is above it; adds MODSEQ. */
  changedSince?: bigint;
  /** UID FETCH modifier VANISHED (RFC 7162 §3.2.6): also report UIDs of the set that are gone. */
  vanished?: boolean;
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

/** The modifier list after the attributes: `(CHANGEDSINCE n [VANISHED])` (RFC 7162 §3.1.4, §3.2.6). */
function parseModifiers(modifiers: Token, request: FetchRequest, options: FetchOptions): void {
  if (modifiers.type !== 'list') throw new FetchSyntaxError('FETCH modifiers must be a parenthesised list');
  const items = modifiers.items;
  for (let i = 0; i < items.length; i++) {
    const token = items[i];
    const name = token.type === 'atom' && !token.section && !token.partial ? token.value.toUpperCase() : '';
    if (name === 'CHANGEDSINCE' && request.changedSince === undefined) {
      const value = items[++i];
      const modseq = value?.type === 'atom' && !value.section ? parseModseq(value.value) : null;
      if (modseq === null) throw new FetchSyntaxError('CHANGEDSINCE needs a mod-sequence value');
      request.changedSince = modseq;
    } else if (name === 'VANISHED' && !request.vanished) {
      if (!options.uid) throw new FetchSyntaxError('VANISHED is a UID FETCH modifier');
      if (!options.qresyncEnabled) throw new FetchSyntaxError('VANISHED needs ENABLE QRESYNC first');
      request.vanished = true;
    } else {
      throw new FetchSyntaxError(`Unknown or repeated FETCH modifier ${name.slice(0, 30) || '(not an atom)'}`);
    }
  }
  if (request.vanished && request.changedSince === undefined) throw new FetchSyntaxError('VANISHED used without CHANGEDSINCE');
  // CHANGEDSINCE answers carry each message's MODSEQ (RFC 7162 §3.1.4.1), after what was asked for.
  if (request.changedSince !== undefined && !request.items.some((item) => item.kind === 'simple' && item.name === 'MODSEQ')) {
    request.items.push({ kind: 'simple', name: 'MODSEQ' });
  }
}

export interface FetchOptions {
  uid: boolean;
  /** The session enabled QRESYNC: the VANISHED modifier is allowed. */
  qresyncEnabled: boolean;
}

/** Parses the attribute argument of FETCH (a macro, one attribute, or a parenthesised list) and its modifiers. */
export function parseFetchItems(args: Token[], options: FetchOptions = { uid: false, qresyncEnabled: false }): FetchRequest {
  const request: FetchRequest = { items: [], wantsSeen: false };
  if (args.length !== 1 && args.length !== 2) throw new FetchSyntaxError('FETCH expects one attribute or a parenthesised list, then optional modifiers');
  const [arg, modifiers] = args;
  if (arg.type === 'atom' && arg.section === undefined && MACROS[arg.value.toUpperCase()]) {
    for (const name of MACROS[arg.value.toUpperCase()]) request.items.push({ kind: 'simple', name });
  } else {
    const list = arg.type === 'list' ? arg.items : [arg];
    if (list.length === 0) throw new FetchSyntaxError('Empty FETCH attribute list');
    for (const token of list) parseOne(token, request);
  }
  if (modifiers) parseModifiers(modifiers, request, options);
  return request;
}
