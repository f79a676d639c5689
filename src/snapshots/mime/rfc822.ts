/**
 * RFC 822/2045/2231 lexing for header values, following the behaviour of Dovecot 2.3's
 * rfc822-parser/rfc2231-parser (what a broken header turns into matters: our BODYSTRUCTURE must
 * match Dovecot's byte for byte). Strings are "binary strings": one char per byte (latin1).
 */
const TSPECIALS = '()<>@,;:\\"/[]?=';
const ATEXT_EXTRA = "!#$%&'*+-/=?^_`{|}~";

export class Rfc822Lexer {
  pos = 0;
  /** The last comment seen by skipLwsp (used for address display names). */
  lastComment: string | null = null;
  constructor(readonly data: string) {}

  get atEnd(): boolean {
    return this.pos >= this.data.length;
  }
  peek(): string {
    return this.data[this.pos] ?? '';
  }

  /** Skips whitespace, folds and (nested) comments. Returns false at end of data. */
  skipLwsp(): boolean {
    return this.lwsp() > 0;
  }

  /** skipLwsp with Dovecot's three answers: 1 more data follows, 0 end of data, -1 unterminated comment. */
  lwsp(): -1 | 0 | 1 {
    const d = this.data;
    while (this.pos < d.length) {
      const c = d[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        this.pos++;
      } else if (c === '(') {
        const comment = this.readComment();
        if (comment === null) return -1;
        this.lastComment = comment;
      } else break;
    }
    return this.pos < d.length ? 1 : 0;
  }

  /** A comment's text; null when it never closes (the data is then used up). */
  private readComment(): string | null {
    const d = this.data;
    let depth = 0;
    let text = '';
    for (; this.pos < d.length; this.pos++) {
      const c = d[this.pos];
      if (c === '\\' && this.pos + 1 < d.length) {
        text += d[++this.pos];
      } else if (c === '(') {
        if (depth++ > 0) text += c;
      } else if (c === ')') {
        if (--depth === 0) {
          this.pos++;
          return text;
        }
        text += c;
      } else if (c !== '\r' && c !== '\n') text += c;
    }
    return null;
  }

  /** MIME token (RFC 2045); '' when none at the current position. */
  mimeToken(): string {
    const start = this.pos;
    const d = this.data;
    while (this.pos < d.length) {
      const code = d.charCodeAt(this.pos);
      if (code <= 32 || code === 127 || TSPECIALS.includes(d[this.pos])) break;
      this.pos++;
    }
    return d.slice(start, this.pos);
  }

  /** RFC 822 atom (atext); '' when none. */
  atom(): string {
    const start = this.pos;
    const d = this.data;
    while (this.pos < d.length && isAtext(d.charCodeAt(this.pos))) this.pos++;
    return d.slice(start, this.pos);
  }

  /** Quoted string starting at '"': its unescaped content, line breaks removed; null when it never closes. */
  quotedString(): string | null {
    const d = this.data;
    let out = '';
    this.pos++;
    while (this.pos < d.length) {
      const c = d[this.pos++];
      if (c === '"') return out;
      if (c === '\\' && this.pos < d.length) out += d[this.pos++];
      else if (c !== '\r' && c !== '\n') out += c;
    }
    return null;
  }
}

function isAtext(code: number): boolean {
  if (code >= 0x80) return true;
  if ((code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return true;
  return ATEXT_EXTRA.includes(String.fromCharCode(code));
}

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
    const atom = lexer.atom();
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
    const value = lexer.quotedString();
    if (value === null || lexer.lwsp() < 0) return false;
    return [key, value];
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
