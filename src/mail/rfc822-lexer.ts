/**
 * The one RFC 822/5322 lexer: comments, blanks, quoted strings, atoms and MIME tokens of a header
 * value, read the way Dovecot 2.3's rfc822-parser reads them (what a broken header turns into
 * matters: ENVELOPE, BODYSTRUCTURE and SEARCH must answer as Dovecot does). The address parser and
 * the Content-* header parsers are grammars over it.
 *
 * Strings are one char per byte (latin1) at ingest, decoded UTF-8 for SEARCH; either works since
 * every char ≥ 0x80 is atom text. Steps answer as Dovecot's do: -1 syntax error, 0 stopped at the
 * end of the value, 1 more input follows.
 */
export type Step = -1 | 0 | 1;

const TSPECIALS = '()<>@,;:\\"/[]?=';
const ATEXT_EXTRA = "!#$%&'*+-/=?^_`{|}~";

/** RFC 5322 atext; every non-ASCII char counts, as Dovecot treats bytes ≥ 0x80. */
export function isAtext(char: string): boolean {
  if (char === '') return false;
  const code = char.charCodeAt(0);
  if (code >= 0x80) return true;
  if ((code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return true;
  return ATEXT_EXTRA.includes(char);
}

export class Rfc822Lexer {
  pos = 0;
  /** Text of the most recent comment (an addr-spec's display name: "a@b (Name)"). */
  lastComment = '';

  constructor(readonly data: string) {}

  get atEnd(): boolean {
    return this.pos >= this.data.length;
  }

  /** The char at the cursor, '' at the end. */
  peek(): string {
    return this.data[this.pos] ?? '';
  }

  /** 0 at the end of the value, else 1. */
  more(): Step {
    return this.atEnd ? 0 : 1;
  }

  /** Blanks, line breaks and (nested) comments (Dovecot's rfc822_skip_lwsp); -1 on an unclosed comment. */
  lwsp(): Step {
    const d = this.data;
    while (this.pos < d.length) {
      const c = d[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.pos++;
      else if (c !== '(') break;
      else if (this.comment() < 0) return -1;
    }
    return this.more();
  }

  /** lwsp() as a yes/no: true when more data follows. */
  skipLwsp(): boolean {
    return this.lwsp() > 0;
  }

  /** A comment at '(' (nested ones included in its text); its text becomes lastComment. */
  comment(): Step {
    this.pos++;
    const { content, closed } = this.delimited(')', true);
    this.lastComment = content;
    return closed ? this.more() : -1;
  }

  /**
   * A quoted string at '"': its content and whether it closed; the cursor ends after the closing
   * quote (at the end of the value when there is none). Blanks after it are not skipped.
   */
  quotedString(): { content: string; closed: boolean } {
    this.pos++;
    return this.delimited('"', false);
  }

  /**
   * The content of a comment or quoted string, from just after its opening char: backslash escapes
   * removed (but not before CR/LF, which obs-qp allows), folds' (CR)LF removed. Without a closing
   * char the text up to the last escape or fold still counts (Dovecot appends there) and the value
   * is used up.
   */
  private delimited(close: string, nests: boolean): { content: string; closed: boolean } {
    const d = this.data;
    let content = '';
    let depth = 1;
    let start = this.pos;
    for (; this.pos < d.length; this.pos++) {
      const c = d[this.pos];
      if (c === close && --depth === 0) {
        content += d.slice(start, this.pos++);
        return { content, closed: true };
      }
      if (c === '(' && nests) depth++;
      else if (c === '\n') {
        content += d.slice(start, this.pos > start && d[this.pos - 1] === '\r' ? this.pos - 1 : this.pos);
        start = this.pos + 1;
      } else if (c === '\\') {
        if (this.pos + 1 >= d.length) break;
        if (d[this.pos + 1] === '\r' || d[this.pos + 1] === '\n') continue;
        content += d.slice(start, this.pos++);
        start = this.pos;
      }
    }
    this.pos = d.length;
    return { content, closed: false };
  }

  /** RFC 822 atom text (atext) at the cursor; '' when none. Blanks after it are not skipped. */
  atext(): string {
    const start = this.pos;
    while (isAtext(this.peek())) this.pos++;
    return this.data.slice(start, this.pos);
  }

  /** MIME token (RFC 2045); '' when none at the cursor. Blanks after it are not skipped. */
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
}
