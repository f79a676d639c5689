/**
 * The Content-* header fields (RFC 2045/2183/3282, RFC 2231 continuations) as Dovecot 2.3's
 * rfc822_parse_content_type/rfc2231_parse read them, over the one RFC 822 lexer: what a broken
 * header turns into matters, since our BODYSTRUCTURE must match Dovecot's byte for byte. Strings are
 * "binary strings": one char per byte (latin1).
 */
import { Rfc822Lexer } from './rfc822-lexer.js';

export interface ContentType {
  /** "" when the header could not be parsed (Dovecot then writes "" "" and no params). */
  type: string;
  subtype: string;
  params: Array<[string, string]>;
}

/**
 * Content-Type: `type/subtype *(; param)`, as Dovecot's rfc822_parse_content_type reads it: a type
 * alone ("text") keeps its type with no subtype; anything else broken — no "/", no subtype, or junk
 * after the subtype other than ";" — gives type "" and no params.
 */
export function parseContentType(value: string): ContentType {
  const lexer = new Rfc822Lexer(value);
  const broken = (type = ''): ContentType => ({ type, subtype: '', params: [] });
  if (!lexer.skipLwsp()) return broken();
  const type = lexer.mimeToken();
  if (type === '' || lexer.lwsp() <= 0) return broken(type);
  if (lexer.peek() !== '/') return broken();
  lexer.pos++;
  if (!lexer.skipLwsp()) return broken();
  const subtype = lexer.mimeToken();
  if (subtype === '' || lexer.lwsp() < 0 || (!lexer.atEnd && lexer.peek() !== ';')) return broken();
  return { type, subtype, params: parseParams(lexer) };
}

/** Content-Disposition: a token and parameters; null when no token. */
export function parseDisposition(value: string): { value: string; params: Array<[string, string]> } | null {
  const lexer = new Rfc822Lexer(value);
  lexer.skipLwsp();
  const token = lexer.mimeToken();
  if (token === '' && lexer.atEnd) return null;
  return { value: token, params: parseParams(lexer) };
}

/** Content-Transfer-Encoding: one token and nothing after it, else null (Dovecot then says "7bit"). */
export function parseEncoding(value: string): string | null {
  const lexer = new Rfc822Lexer(value);
  lexer.skipLwsp();
  const token = lexer.mimeToken();
  if (lexer.skipLwsp() || token === '') return null;
  return token;
}

/** Content-Language: comma-separated atoms. */
export function parseLanguage(value: string): string[] | null {
  const lexer = new Rfc822Lexer(value);
  const langs: string[] = [];
  lexer.skipLwsp();
  for (;;) {
    const atom = lexer.atext();
    if (atom === '') break;
    langs.push(atom);
    if (lexer.peek() !== ',') break;
    lexer.pos++;
    lexer.skipLwsp();
  }
  return langs.length > 0 ? langs : null;
}

/**
 * One `;key=value` (Dovecot's rfc822_parse_content_param): null at the end, false when broken (an
 * unclosed quote, a key without "=", …; the pair is then dropped), else the pair. A value starting
 * with "=" runs to the next ";" or whitespace (Dovecot's allowance for `boundary==_x` and
 * `name==?utf-8?…`).
 */
function contentParam(lexer: Rfc822Lexer): [string, string] | null | false {
  if (lexer.atEnd) return null;
  if (lexer.peek() !== ';') return false;
  lexer.pos++;
  if (!lexer.skipLwsp()) return false;
  const key = lexer.mimeToken();
  if (lexer.lwsp() <= 0) return false; // an empty key is kept (Dovecot answers ("" "x") for "; =x")
  if (lexer.peek() !== '=') return false;
  lexer.pos++;
  const more = lexer.lwsp();
  if (more < 0) return false;
  if (more === 0) return [key, ''];
  const d = lexer.data;
  if (lexer.peek() === '"') {
    const { content, closed } = lexer.quotedString();
    if (!closed || lexer.lwsp() < 0) return false;
    return [key, content];
  }
  if (lexer.peek() === '=') {
    const start = lexer.pos;
    while (lexer.pos < d.length && !';\t\r\n '.includes(d[lexer.pos])) lexer.pos++;
    return [key, d.slice(start, lexer.pos)];
  }
  const value = lexer.mimeToken();
  if (lexer.lwsp() < 0) return false;
  return [key, value];
}

/** `;name=value` parameters with RFC 2231 continuations merged (values kept encoded). */
function parseParams(lexer: Rfc822Lexer): Array<[string, string]> {
  const plain: Array<[string, string]> = [];
  const continued: Array<{ key: string; idx: number; extended: boolean; value: string }> = [];
  for (;;) {
    const param = contentParam(lexer);
    if (param === null) break;
    if (param === false) {
      // broken: skip a char and try again, as Dovecot's rfc2231_parse does
      if (lexer.atEnd) break;
      lexer.pos++;
      continue;
    }
    const [key, val] = param;
    const star = key.indexOf('*');
    if (star >= 0) {
      const suffix = key.slice(star);
      const m = suffix === '*' ? ['*', '', '*'] : /^\*(\d*)(\*?)$/.exec(suffix);
      if (m) {
        continued.push({ key: key.slice(0, star), idx: m[1] === '' ? 0 : Number(m[1]), extended: m[2] === '*', value: val });
        continue;
      }
    }
    plain.push([key, val]);
  }
  if (continued.length === 0) return plain;
  continued.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.idx - b.idx));
  for (let i = 0; i < continued.length; ) {
    let j = i;
    let ok = true;
    let extended = false;
    for (let next = 0; j < continued.length && continued[j].key.toLowerCase() === continued[i].key.toLowerCase(); j++, next++) {
      if (continued[j].idx !== next) ok = false;
      if (continued[j].extended) extended = true;
    }
    if (!ok) {
      for (let k = i; k < j; k++) {
        const p = continued[k];
        plain.push([`${p.key}*${p.idx}${p.extended ? '*' : ''}`, p.value]);
      }
    } else {
      let value = !continued[i].extended && extended ? "''" : '';
      for (let k = i; k < j; k++) {
        value += !continued[k].extended && extended ? continued[k].value.replace(/%/g, '%25') : continued[k].value;
      }
      plain.push([extended ? `${continued[i].key}*` : continued[i].key, value]);
    }
    i = j;
  }
  return plain;
}
