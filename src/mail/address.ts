/**
 * The one RFC 5322 address-list parser: header value → address list in Dovecot 2.3's
 * message_address_parse shape with "fill missing" on. Both ENVELOPE (written at ingest) and SEARCH/SORT
 * (which match against a re-written normal form, see proxy/search/address.ts) read its output, as
 * Dovecot feeds both from the same parse — so a broken header must come out exactly as Dovecot's does.
 *
 * Output shape (that of ENVELOPE): a mailbox is {name, route, mailbox, domain} with mailbox and domain
 * never null (a missing one becomes MISSING_MAILBOX / MISSING_DOMAIN, an unreadable <…> domain
 * SYNTAX_ERROR); a group is a start marker {mailbox: group name, domain: null} and an end marker with
 * every field null.
 *
 * The grammar runs over the one RFC 822 lexer (rfc822-lexer.ts), whose steps answer like Dovecot's:
 * -1 = syntax error, 0 = stopped at the end of the value, 1 = more input follows.
 */
import { isAtext, Rfc822Lexer, type Step } from './rfc822-lexer.js';
import type { EnvelopeAddress } from './structure.js';

const MISSING_MAILBOX = 'MISSING_MAILBOX';
const MISSING_DOMAIN = 'MISSING_DOMAIN';
const SYNTAX_ERROR = 'SYNTAX_ERROR';
const INVALID_ROUTE = 'INVALID_ROUTE';

/** The address being read; `invalid` only steers the addr-spec fallback, it is not part of the output. */
interface Draft {
  name: string | null;
  route: string | null;
  mailbox: string | null;
  domain: string | null;
  invalid: boolean;
}

const emptyDraft = (): Draft => ({ name: null, route: null, mailbox: null, domain: null, invalid: false });

class AddressParser extends Rfc822Lexer {
  /** Scratch text the current step appends to (phrase, local part, domain, route). */
  private text = '';
  private draft = emptyDraft();
  readonly addresses: EnvelopeAddress[] = [];

  parse(): EnvelopeAddress[] | null {
    if (this.lwsp() <= 0) return null;
    for (;;) {
      if (this.address() === 0 || this.atEnd || this.peek() !== ',') break;
      this.pos++;
      const next = this.lwsp();
      if (next <= 0) {
        if (next < 0) this.addFilled(); // a trailing unclosed comment still counts as an address
        break;
      }
    }
    return this.addresses.length > 0 ? this.addresses : null;
  }

  // ── lexical steps ──────────────────────────────────────────────────────────────────────────────

  /** Appends data[start, pos) and steps over what follows. */
  private endToken(start: number): Step {
    this.text += this.data.slice(start, this.pos);
    return this.atEnd ? 0 : this.lwsp();
  }

  private atom(): Step {
    if (!isAtext(this.peek())) return -1;
    const start = this.pos++;
    while (isAtext(this.peek())) this.pos++;
    return this.endToken(start);
  }

  /** Atoms joined by dots, blanks allowed around the dots (RFC 822). */
  private dotAtom(): Step {
    if (!isAtext(this.peek())) return -1;
    let start = this.pos++;
    while (!this.atEnd) {
      if (isAtext(this.peek())) {
        this.pos++;
        continue;
      }
      this.text += this.data.slice(start, this.pos);
      let step = this.lwsp();
      if (step <= 0) return step;
      if (this.peek() !== '.') return 1;
      this.pos++;
      this.text += '.';
      // an atom must follow the dot ("example.com." is no domain)
      if (this.lwsp() <= 0 || !isAtext(this.peek())) return -1;
      start = this.pos;
    }
    this.text += this.data.slice(start, this.pos);
    return 0;
  }

  /** A quoted string's content appended to the scratch text. */
  private quotedWord(): Step {
    const { content, closed } = this.quotedString();
    this.text += content;
    return closed ? this.lwsp() : -1;
  }

  /** Words (atoms with dots, quoted strings) joined by one space; comments dropped. */
  private phrase(): Step {
    if (this.atEnd) return 0;
    if (this.peek() === '.') return -1;
    for (;;) {
      let step: Step;
      if (this.peek() === '"') step = this.quotedWord();
      else {
        const start = this.pos;
        while (isAtext(this.peek()) || this.peek() === '.') this.pos++;
        step = this.endToken(start);
      }
      if (step <= 0) return step;
      if (!isAtext(this.peek()) && this.peek() !== '"' && this.peek() !== '.') break;
      this.text += ' ';
    }
    return this.lwsp();
  }

  /** "@" then a dot-atom or a [literal], kept as written. */
  private domain(): Step {
    this.pos++;
    if (this.lwsp() <= 0) return -1;
    if (this.peek() !== '[') return this.dotAtom();
    const d = this.data;
    const start = this.pos;
    for (; this.pos < d.length; this.pos++) {
      if (d[this.pos] === '\\') {
        if (++this.pos >= d.length) break;
      } else if (d[this.pos] === ']') {
        this.pos++;
        return this.endToken(start);
      }
    }
    return -1; // no closing bracket
  }

  // ── grammar ────────────────────────────────────────────────────────────────────────────────────

  /** Local part; dots anywhere are tolerated (Dovecot's default, for the many ".user"/"a..b" senders). */
  private localPart(): Step {
    this.text = '';
    let step: Step = -1;
    if (this.peek() === '"') step = this.quotedWord();
    else {
      do {
        while (this.peek() === '.') {
          this.text += '.';
          this.pos++;
          if (this.atEnd) return this.setMailbox(0);
          step = 1;
        }
        if (this.peek() === '@') break;
        step = this.atom();
      } while (step > 0 && this.peek() === '.');
    }
    return step < 0 ? -1 : this.setMailbox(step);
  }

  private setMailbox(step: Step): Step {
    this.draft.mailbox = this.text;
    return step;
  }

  private domainPart(): Step {
    this.text = '';
    const step = this.domain();
    if (step < 0) return -1;
    this.draft.domain = this.text;
    return step;
  }

  /** obs-route "@a,@b" before the ':' inside <…>. */
  private route(): Step {
    this.text = '';
    for (;;) {
      if (this.atEnd) return 0;
      if (this.peek() !== '@') break;
      if (this.text.length > 0) this.text += ',';
      this.text += '@';
      const step = this.domain();
      if (step <= 0) return step;
      while (this.lwsp() > 0 && this.peek() === ',') this.pos++;
    }
    this.draft.route = this.text;
    return 1;
  }

  private angleAddr(): Step {
    this.pos++;
    if (this.lwsp() <= 0) return -1;
    if (this.peek() === '@') {
      if (this.route() > 0 && this.peek() === ':') this.pos++;
      else {
        this.draft.route = INVALID_ROUTE;
        if (this.atEnd) return -1;
      }
      if (this.lwsp() <= 0) return -1;
    }
    if (this.peek() !== '>') {
      if (this.localPart() <= 0) return -1;
      if (this.peek() === '@' && this.domainPart() <= 0) return -1;
    }
    if (this.peek() !== '>') return -1;
    this.pos++;
    return this.lwsp();
  }

  /** [phrase] <addr>; -1 when this is no name-addr at all. */
  private nameAddr(): Step {
    this.text = '';
    if (this.phrase() <= 0 || this.peek() !== '<') return -1;
    this.draft.name = this.text === '' ? null : this.text;
    if (this.angleAddr() < 0) {
      this.draft.domain = SYNTAX_ERROR;
      this.draft.invalid = true;
    }
    return this.more();
  }

  /** local@domain, its display name taken from a comment; a lone word followed by words is a name. */
  private addrSpec(): Step {
    this.lastComment = '';
    const quoted = this.peek() === '"';
    let step = this.localPart();
    let domainStep: Step | null = null;
    if (step <= 0) this.draft.invalid = true;
    if (step !== 0 && !this.atEnd && this.peek() === '@') {
      domainStep = this.domainPart();
      if (domainStep <= 0) step = domainStep;
    }
    if (this.lastComment.length > 0) this.draft.name = this.lastComment;
    else if (domainStep === null) {
      this.text += ' ';
      const before = this.text.length;
      this.phrase();
      if (this.text.length !== before) {
        this.draft.mailbox = null;
        this.draft.name = this.text;
      } else if (!quoted) this.draft.domain = '';
      this.draft.invalid = true;
      step = -1;
    }
    return step;
  }

  private mailbox(): Step {
    const start = this.pos;
    let step = this.nameAddr();
    if (step < 0) {
      this.pos = start;
      step = this.addrSpec();
      // a lone word with no @ (quoted, so not taken for a bare local part) is a display name
      const d = this.draft;
      if (d.invalid && d.name === null && d.mailbox !== null && d.domain === null) {
        d.name = d.mailbox;
        d.mailbox = null;
      }
    }
    this.addFilled();
    return step;
  }

  /** phrase ":" [mailbox *("," mailbox)] ";" — anything after the ':' is read as a group. */
  private group(): Step {
    this.text = '';
    if (this.phrase() <= 0 || this.peek() !== ':') return -1;
    this.pos++;
    let step = this.lwsp();
    this.addresses.push({ name: null, route: null, mailbox: this.text, domain: null });
    if (step > 0 && this.peek() !== ';') {
      for (;;) {
        this.mailbox(); // a broken member is kept; reading goes on
        if (this.atEnd || this.peek() !== ',') break;
        this.pos++;
        if (this.lwsp() <= 0) {
          step = -1;
          break;
        }
      }
    }
    if (step >= 0) {
      if (this.atEnd || this.peek() !== ';') step = -1;
      else {
        this.pos++;
        step = this.lwsp();
      }
    }
    this.addresses.push({ name: null, route: null, mailbox: null, domain: null });
    return step === 0 ? 0 : 1;
  }

  private address(): Step {
    const start = this.pos;
    const step = this.group();
    if (step >= 0) return step;
    this.pos = start;
    return this.mailbox();
  }

  /** Adds the draft with missing parts filled in, and starts a new one. */
  private addFilled(): void {
    const { name, route, mailbox, domain } = this.draft;
    this.addresses.push({ name, route, mailbox: mailbox ?? MISSING_MAILBOX, domain: domain ? domain : MISSING_DOMAIN });
    this.draft = emptyDraft();
  }
}

/** Parses an address header value into ENVELOPE address structures; null when there is none. */
export function parseAddressList(value: string): EnvelopeAddress[] | null {
  return new AddressParser(value).parse();
}

/** A group's start marker carries the group name as its mailbox and no domain. */
export function isGroupStart(address: EnvelopeAddress): boolean {
  return address.domain === null && address.mailbox !== null;
}
