/**
 * Address lists (From, To, Cc, Bcc …) as SEARCH and SORT see them. Dovecot matches FROM/TO/CC/BCC
 * against the list re-written in a normal form — comments dropped, blanks normalised, names quoted
 * only when needed, absent parts filled in — so a search for `"Alice` or for a comment behaves as
 * there. Encoded words stay encoded here; the caller decodes the written form.
 */

export interface ParsedAddress {
  /** Display name (quoted strings unquoted, words joined by one space); null when none. */
  name: string | null;
  route: string | null;
  mailbox: string;
  domain: string;
}

export type AddressItem = { group: string } | { groupEnd: true } | ParsedAddress;

type AddressToken = { type: 'word'; text: string; quoted: boolean } | { type: 'special'; text: string } | { type: 'comment'; text: string };

function tokenize(text: string): AddressToken[] {
  const tokens: AddressToken[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') {
      i++;
    } else if (char === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      i++;
      tokens.push({ type: 'word', text: value, quoted: true });
    } else if (char === '(') {
      let depth = 1;
      let value = '';
      i++;
      while (i < text.length && depth > 0) {
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] === '(') depth++;
        if (text[i] === ')') depth--;
        if (depth > 0) value += text[i];
        i++;
      }
      tokens.push({ type: 'comment', text: value });
    } else if ('<>@,;:.[]'.includes(char)) {
      if (char === '[') {
        const close = text.indexOf(']', i);
        const end = close < 0 ? text.length : close + 1;
        tokens.push({ type: 'word', text: text.slice(i, end), quoted: false });
        i = end;
      } else {
        tokens.push({ type: 'special', text: char });
        i++;
      }
    } else if (char === ')') {
      i++; // a stray closing parenthesis is dropped
    } else {
      let value = '';
      while (i < text.length && !' \t\r\n"()<>@,;:.['.includes(text[i])) value += text[i++];
      tokens.push({ type: 'word', text: value, quoted: false });
    }
  }
  return tokens;
}

const MISSING_MAILBOX = 'MISSING_MAILBOX';
const MISSING_DOMAIN = 'MISSING_DOMAIN';

/** Parses an address-list header value (decoded to a string, encoded words untouched). */
export function parseAddressList(text: string): AddressItem[] {
  const tokens = tokenize(text);
  const items: AddressItem[] = [];
  let pos = 0;
  let inGroup = false;
  const isSpecial = (token: AddressToken | undefined, char: string) => token?.type === 'special' && token.text === char;

  /** Dot-joined words up to a special other than "." (local part or domain). */
  const dotted = (): string => {
    let out = '';
    while (pos < tokens.length) {
      const token = tokens[pos];
      if (token.type === 'comment') {
        pos++;
      } else if (token.type === 'word') {
        out += token.text;
        pos++;
      } else if (token.text === '.') {
        out += '.';
        pos++;
      } else break;
    }
    return out;
  };

  while (pos < tokens.length) {
    const start = pos;
    const words: string[] = [];
    let comment: string | null = null;
    while (pos < tokens.length) {
      const token = tokens[pos];
      if (token.type === 'word') words.push(token.text);
      else if (token.type === 'comment') comment = comment ?? token.text;
      else if (token.text === '.') words.push('.');
      else break;
      pos++;
    }
    const stop = tokens[pos];
    if (isSpecial(stop, ':') && !inGroup) {
      pos++;
      items.push({ group: words.join(' ').replace(/ \. /g, '.') });
      inGroup = true;
      continue;
    }
    if (isSpecial(stop, '<')) {
      pos++;
      let route: string | null = null;
      if (isSpecial(tokens[pos], '@')) {
        let routeText = '';
        while (pos < tokens.length && !isSpecial(tokens[pos], ':') && !isSpecial(tokens[pos], '>')) {
          const token = tokens[pos++];
          if (token.type !== 'comment') routeText += token.text;
        }
        if (isSpecial(tokens[pos], ':')) {
          pos++;
          route = routeText;
        }
      }
      const mailbox = dotted();
      let domain = '';
      if (isSpecial(tokens[pos], '@')) {
        pos++;
        domain = dotted();
      }
      while (pos < tokens.length && !isSpecial(tokens[pos], '>')) pos++;
      pos++;
      const name = words.length ? words.join(' ').replace(/ \. /g, '.') : null;
      items.push({ name, route, mailbox: mailbox || MISSING_MAILBOX, domain: domain || MISSING_DOMAIN });
    } else {
      // addr-spec: the words read so far are the local part.
      pos = start;
      const mailbox = dotted();
      let domain = '';
      if (isSpecial(tokens[pos], '@')) {
        pos++;
        domain = dotted();
      }
      let trailingComment: string | null = null;
      while (tokens[pos]?.type === 'comment') {
        trailingComment = trailingComment ?? tokens[pos].text;
        pos++;
      }
      const name = comment ?? trailingComment;
      if (mailbox || domain) items.push({ name, route: null, mailbox: mailbox || MISSING_MAILBOX, domain: domain || MISSING_DOMAIN });
    }
    const after = tokens[pos];
    if (isSpecial(after, ';') && inGroup) {
      items.push({ groupEnd: true });
      inGroup = false;
      pos++;
    } else if (isSpecial(after, ',')) {
      pos++;
    } else if (after && pos === start) {
      pos++; // stray special: skip it
    }
    while (isSpecial(tokens[pos], ',')) pos++;
  }
  if (inGroup) items.push({ groupEnd: true });
  return items;
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]*$/;

function maybeQuote(text: string, quoteDots: boolean): string {
  const plain = quoteDots ? ATEXT.test(text) : ATEXT.test(text.replace(/\./g, ''));
  if (plain) return text;
  return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

/** The normal form Dovecot matches FROM/TO/CC/BCC against. */
export function writeAddressList(items: AddressItem[]): string {
  let out = '';
  let first = true;
  for (const item of items) {
    if ('groupEnd' in item) {
      if (out.endsWith(', ')) out = out.slice(0, -2);
      else if (out.endsWith(': ')) out = out.slice(0, -1);
      out += ';';
      first = false;
      continue;
    }
    if (!first) out += ', ';
    first = false;
    if ('group' in item) {
      out += item.group ? (item.group.includes('=?') ? item.group : maybeQuote(item.group, true)) : '""';
      out += ': ';
      first = true;
      continue;
    }
    if (item.name !== null) out += item.name.includes('=?') ? item.name : maybeQuote(item.name, true);
    if (item.name) out += ' ';
    out += '<';
    if (item.route) out += `${item.route}:`;
    out += maybeQuote(item.mailbox, false);
    out += `@${item.domain}>`;
  }
  return out;
}

/** The addresses only (groups flattened), for SORT FROM/TO/CC and DISPLAYFROM/DISPLAYTO. */
export function addressesOf(items: AddressItem[]): ParsedAddress[] {
  return items.filter((item): item is ParsedAddress => 'mailbox' in item);
}
