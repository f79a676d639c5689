/**
 * The command grammar (RFC 3501 §9, loosely where clients are known to be loose): turns a framed
 * command into a tag, an upper-cased name and argument tokens. Knows nothing of what commands mean.
 */
import type { CommandFrame } from './command-reader.js';
import type { AtomToken, ParsedCommand, Token } from './tokens.js';

export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; tag: string | null; text: string };

class SyntaxError extends Error {}

/** Atoms followed directly by `[` that open a section (FETCH attributes), not a mailbox like `[Gmail]`. */
const SECTION_ATOMS = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);
const TAG = /^[\x21\x23\x24\x26\x27\x2c-\x5a\x5e-\x7a\x7c\x7e]+$/;
const NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const SP = 0x20;
const MAX_DEPTH = 64;

/** Walks the lines of a frame; at the end of line i the next literal is literals[i]. */
class Cursor {
  line = 0;
  pos = 0;
  /** Nesting of lists and sections; bounded so a line of `((((…` cannot exhaust the stack. */
  depth = 0;
  constructor(private readonly frame: CommandFrame) {}

  get text(): Buffer {
    return this.frame.lines[this.line];
  }
  peek(): number {
    return this.pos < this.text.length ? this.text[this.pos] : -1;
  }
  atEnd(): boolean {
    return this.pos >= this.text.length && this.line === this.frame.lines.length - 1;
  }
  /** Called on `{` or `~{`: reads the marker, which must close the line, and returns the literal. */
  literal(): Buffer {
    const rest = this.text.toString('latin1', this.pos);
    const match = /^~?\{(\d+)\+?\}$/.exec(rest);
    if (!match || this.line >= this.frame.literals.length) throw new SyntaxError('Bad literal');
    const literal = this.frame.literals[this.line];
    this.line++;
    this.pos = 0;
    return literal;
  }
}

function parseQuoted(cursor: Cursor): Buffer {
  const text = cursor.text;
  const out: number[] = [];
  cursor.pos++; // opening quote
  for (;;) {
    if (cursor.pos >= text.length) throw new SyntaxError('Unterminated quoted string');
    const byte = text[cursor.pos++];
    if (byte === 0x22) return Buffer.from(out);
    if (byte === 0x5c) {
      const escaped = text[cursor.pos++];
      if (escaped !== 0x22 && escaped !== 0x5c) throw new SyntaxError('Bad escape in quoted string');
      out.push(escaped);
    } else if (byte === 0) {
      throw new SyntaxError('NUL in quoted string');
    } else {
      out.push(byte);
    }
  }
}

function isAtomEnd(byte: number, inSection: boolean): boolean {
  return (
    byte === -1 || byte === SP || byte === 0x28 || byte === 0x29 || byte < 0x20 || byte === 0x7f ||
    (inSection && byte === 0x5d)
  );
}

/** `<start.length>` (or `<start>`) right after a section. */
function parsePartial(cursor: Cursor): AtomToken['partial'] {
  const rest = cursor.text.toString('latin1', cursor.pos, cursor.pos + 30);
  const match = /^<(\d{1,10})(?:\.(\d{1,10}))?>/.exec(rest);
  if (!match) throw new SyntaxError('Bad partial range');
  cursor.pos += match[0].length;
  const start = Number(match[1]);
  const length = match[2] === undefined ? undefined : Number(match[2]);
  if (start > 0xffffffff || (length !== undefined && (length === 0 || length > 0xffffffff))) {
    throw new SyntaxError('Bad partial range');
  }
  return { start, length };
}

function parseAtom(cursor: Cursor, inSection: boolean): AtomToken {
  const text = cursor.text;
  const start = cursor.pos;
  while (!isAtomEnd(cursor.peek(), inSection)) {
    if (text[cursor.pos] === 0x5b && SECTION_ATOMS.has(text.toString('latin1', start, cursor.pos).toUpperCase())) {
      const token: AtomToken = { type: 'atom', value: text.toString('latin1', start, cursor.pos) };
      cursor.pos++;
      token.section = parseSequence(cursor, 0x5d);
      if (cursor.peek() === 0x3c) token.partial = parsePartial(cursor);
      if (!isAtomEnd(cursor.peek(), inSection)) throw new SyntaxError('Unexpected text after section');
      return token;
    }
    cursor.pos++;
  }
  if (cursor.pos === start) throw new SyntaxError('Expected an argument');
  return { type: 'atom', value: text.toString('utf8', start, cursor.pos) };
}

function parseToken(cursor: Cursor, inSection: boolean): Token {
  const byte = cursor.peek();
  if (byte === 0x28) {
    cursor.pos++;
    return { type: 'list', items: parseSequence(cursor, 0x29) };
  }
  if (byte === 0x22) return { type: 'string', value: parseQuoted(cursor), literal: false };
  if (byte === 0x7b || (byte === 0x7e && cursor.text[cursor.pos + 1] === 0x7b)) {
    return { type: 'string', value: cursor.literal(), literal: true };
  }
  return parseAtom(cursor, inSection);
}

/** Space-separated tokens up to `close` (`)` or `]`), or to the end of the command when close is -1. */
function parseSequence(cursor: Cursor, close: number): Token[] {
  if (++cursor.depth > MAX_DEPTH) throw new SyntaxError('Lists nested too deeply');
  const items: Token[] = [];
  for (;;) {
    if (close === -1 ? cursor.atEnd() : cursor.peek() === close) {
      if (close !== -1) cursor.pos++;
      cursor.depth--;
      return items;
    }
    if (cursor.peek() === -1) throw new SyntaxError(close === -1 ? 'Unexpected end' : 'Unclosed list');
    if (items.length > 0) {
      if (cursor.peek() !== SP) throw new SyntaxError('Expected a space between arguments');
      cursor.pos++;
      if (close === -1 && cursor.atEnd()) return items; // one trailing space, as some clients send
    }
    items.push(parseToken(cursor, close === 0x5d));
  }
}

/** Parses a framed command; a syntax error comes back with the tag (when one was readable). */
export function parseCommand(frame: CommandFrame): ParseResult {
  const first = frame.lines[0].toString('latin1');
  const tagEnd = first.indexOf(' ');
  const tag = tagEnd > 0 ? first.slice(0, tagEnd) : first;
  if (!TAG.test(tag)) return { ok: false, tag: null, text: 'Invalid tag' };
  if (tagEnd < 0) return { ok: false, tag, text: 'Missing command' };
  const cursor = new Cursor(frame);
  cursor.pos = tagEnd + 1;
  try {
    const nameEnd = first.indexOf(' ', cursor.pos);
    let name = first.slice(cursor.pos, nameEnd < 0 ? first.length : nameEnd);
    if (frame.lines.length > 1 && nameEnd < 0) throw new SyntaxError('Missing command');
    if (!NAME.test(name)) throw new SyntaxError('Invalid command name');
    name = name.toUpperCase();
    cursor.pos += name.length;
    if (name === 'UID') {
      if (cursor.peek() !== SP) throw new SyntaxError('UID needs a command');
      const subEnd = first.indexOf(' ', cursor.pos + 1);
      const sub = first.slice(cursor.pos + 1, subEnd < 0 ? first.length : subEnd);
      if (!NAME.test(sub)) throw new SyntaxError('Invalid command name');
      name = `UID ${sub.toUpperCase()}`;
      cursor.pos += 1 + sub.length;
    }
    let args: Token[] = [];
    if (!cursor.atEnd()) {
      if (cursor.peek() !== SP) throw new SyntaxError('Expected a space after the command name');
      cursor.pos++;
      args = cursor.atEnd() ? [] : parseSequence(cursor, -1);
    }
    return { ok: true, command: { tag, name, args } };
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, tag, text: `Syntax error: ${error.message}` };
    throw error;
  }
}

/** A frame from one line of text (tests, and AUTHENTICATE-style helpers). */
export function frameOf(line: string, literals: string[] = []): CommandFrame {
  const parts = line.split('\r\n');
  return { kind: 'command', lines: parts.map((part) => Buffer.from(part)), literals: literals.map((l) => Buffer.from(l)) };
}
