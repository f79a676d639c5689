/**
 * Address headers → ENVELOPE address lists, in the manner of Dovecot's message_address_parse with
 * "fill missing" on: a missing local part or domain becomes MISSING_MAILBOX / MISSING_DOMAIN, groups
 * become a start marker (NIL NIL "name" NIL) and an end marker (NIL NIL NIL NIL).
 */
import { Rfc822Lexer } from './rfc822.js';
import type { EnvelopeAddress } from './structure.js';

const MISSING_MAILBOX = 'MISSING_MAILBOX';
const MISSING_DOMAIN = 'MISSING_DOMAIN';

/** Words of a phrase, joined by single spaces; quoted strings unquoted. Stops at a special. */
function readPhrase(lexer: Rfc822Lexer, stopAtDot = false): string[] {
  const words: string[] = [];
  for (;;) {
    if (!lexer.skipLwsp()) break;
    const c = lexer.peek();
    if (c === '"') words.push(lexer.quotedString());
    else if (c === '.' && !stopAtDot) {
      lexer.pos++;
      if (words.length > 0) words[words.length - 1] += '.';
      else words.push('.');
    } else {
      const atom = lexer.atom();
      if (atom === '') break;
      words.push(atom);
    }
  }
  return words;
}

/** local-part "@" domain, each possibly missing. */
function readAddrSpec(lexer: Rfc822Lexer): { mailbox: string; domain: string } {
  let local = '';
  lexer.skipLwsp();
  for (;;) {
    const c = lexer.peek();
    if (c === '"') local += lexer.quotedString();
    else if (c === '.') {
      lexer.pos++;
      local += '.';
    } else {
      const atom = lexer.atom();
      if (atom === '') break;
      local += atom;
    }
    if (!lexer.skipLwsp()) break;
  }
  let domain = '';
  if (lexer.peek() === '@') {
    lexer.pos++;
    domain = readDomain(lexer);
  }
  return { mailbox: local || MISSING_MAILBOX, domain: domain || MISSING_DOMAIN };
}

function readDomain(lexer: Rfc822Lexer): string {
  let domain = '';
  lexer.skipLwsp();
  if (lexer.peek() === '[') {
    const end = lexer.data.indexOf(']', lexer.pos);
    const stop = end < 0 ? lexer.data.length : end + 1;
    domain = lexer.data.slice(lexer.pos, stop);
    lexer.pos = stop;
    return domain;
  }
  for (;;) {
    if (lexer.peek() === '.') {
      lexer.pos++;
      domain += '.';
    } else {
      const atom = lexer.atom();
      if (atom === '') break;
      domain += atom;
    }
    if (!lexer.skipLwsp()) break;
  }
  return domain;
}

/** `<[@route,@route:]local@domain>` after the '<'. */
function readAngleAddr(lexer: Rfc822Lexer, name: string | null): EnvelopeAddress {
  lexer.pos++;
  lexer.skipLwsp();
  let route: string | null = null;
  if (lexer.peek() === '@') {
    const routes: string[] = [];
    while (lexer.peek() === '@') {
      lexer.pos++;
      routes.push(`@${readDomain(lexer)}`);
      lexer.skipLwsp();
      if (lexer.peek() === ',') {
        lexer.pos++;
        lexer.skipLwsp();
      }
    }
    if (lexer.peek() === ':') lexer.pos++;
    route = routes.join(',');
  }
  const { mailbox, domain } = readAddrSpec(lexer);
  lexer.skipLwsp();
  if (lexer.peek() === '>') lexer.pos++;
  return { name, route, mailbox, domain };
}

/** One mailbox (not a group); null when nothing parseable is left before a separator. */
function readMailbox(lexer: Rfc822Lexer): EnvelopeAddress | null {
  lexer.lastComment = null;
  const start = lexer.pos;
  const words = readPhrase(lexer, true);
  lexer.skipLwsp();
  const c = lexer.peek();
  if (c === '<') return readAngleAddr(lexer, words.length > 0 ? words.join(' ') : null);
  // addr-spec: re-read from the start as local@domain
  lexer.pos = start;
  lexer.lastComment = null;
  if (lexer.skipLwsp() && (lexer.peek() === ',' || lexer.peek() === ';')) return null;
  if (lexer.atEnd) return null;
  const { mailbox, domain } = readAddrSpec(lexer);
  lexer.skipLwsp();
  return { name: lexer.lastComment, route: null, mailbox, domain };
}

/** Parses an address header value into ENVELOPE address structures; null when there is none. */
export function parseAddressList(value: string): EnvelopeAddress[] | null {
  const lexer = new Rfc822Lexer(value);
  const out: EnvelopeAddress[] = [];
  let guard = 0;
  while (lexer.skipLwsp() && guard++ < 10000) {
    const c = lexer.peek();
    if (c === ',') {
      lexer.pos++;
      continue;
    }
    // group?  phrase ':' ...
    const start = lexer.pos;
    const words = readPhrase(lexer, false);
    lexer.skipLwsp();
    if (lexer.peek() === ':' && words.length > 0) {
      lexer.pos++;
      out.push({ name: null, route: null, mailbox: words.join(' '), domain: null });
      while (lexer.skipLwsp() && lexer.peek() !== ';') {
        if (lexer.peek() === ',') {
          lexer.pos++;
          continue;
        }
        const before = lexer.pos;
        const mailbox = readMailbox(lexer);
        if (mailbox) out.push(mailbox);
        if (lexer.pos === before) lexer.pos++;
      }
      if (lexer.peek() === ';') lexer.pos++;
      out.push({ name: null, route: null, mailbox: null, domain: null });
      continue;
    }
    lexer.pos = start;
    const before = lexer.pos;
    const mailbox = readMailbox(lexer);
    if (mailbox) out.push(mailbox);
    if (lexer.pos === before) lexer.pos++;
  }
  return out.length > 0 ? out : null;
}
