/**
 * Text as SEARCH compares it: decoded to Unicode (src/mail), then folded the way Dovecot's default
 * comparator (i;unicode-casemap, RFC 5051) does — title case, then decomposed — so that `BODY cafe`
 * and `BODY CAFÉ` behave as they do on the live server.
 */

/** Title-case and decompose (NFKD) every character; a simple per-character mapping, like Dovecot. */
export function foldForSearch(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return text.toUpperCase();
  const decomposed = text.normalize('NFKD');
  const upper = decomposed.toUpperCase();
  // Same length: every character mapped one-to-one (upper-casing never shrinks text).
  if (upper.length === decomposed.length) return upper;
  // Upper-case everything except the characters whose full upper case is several characters.
  return decomposed
    .split(expandingCharacters())
    .map((piece, index) => (index % 2 === 1 ? piece : piece.toUpperCase()))
    .join('');
}

let expanding: RegExp | undefined;

/** Characters (BMP and beyond) whose toUpperCase() is longer than one character, e.g. ß → SS. */
function expandingCharacters(): RegExp {
  if (!expanding) {
    const chars: string[] = [];
    for (let code = 0x80; code <= 0x1ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      if ([...char.toUpperCase()].length > 1) chars.push(char);
    }
    // None of these is a character-class metacharacter, so they go into the class unescaped.
    expanding = new RegExp(`([${chars.join('')}])`, 'u');
  }
  return expanding;
}
