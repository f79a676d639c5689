/**
 * IMAP string output exactly as Dovecot 2.3 chooses it (lib-imap/imap-quote.c behaviour):
 * quoted unless CR/LF, 8-bit bytes or more than four quote/backslash escapes force a literal.
 * Input and output are binary strings (one char per byte).
 */
const MAX_ESCAPES = 4;

export function nstring(value: string | null): string {
  if (value === null) return 'NIL';
  let escapes = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 34 || code === 92) {
      if (escapes++ < MAX_ESCAPES) continue;
      return `{${value.length}}\r\n${value}`;
    }
    if (code === 13 || code === 10 || code >= 0x80) return `{${value.length}}\r\n${value}`;
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** nstring with line breaks removed (a space inserted where the next line does not start with one). */
export function nstringNoLf(value: string | null): string {
  if (value === null || !/[\r\n]/.test(value)) return nstring(value);
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '\r' && c !== '\n') out += c;
    else {
      const next = value[i + 1];
      if (next !== undefined && next !== ' ' && next !== '\t' && next !== '\r' && next !== '\n') out += ' ';
    }
  }
  return nstring(out);
}

/** Subjects and display names: tabs to spaces, runs of spaces collapsed, CR/LF dropped, NUL → 0x80. */
export function stringForHumans(src: string): string {
  let modify = false;
  let lastLwsp = true;
  let whitespacePrefix = true;
  let remove = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 0) {
      lastLwsp = false;
      modify = true;
    } else if (c === 9 || c === 32) {
      if (c === 9) modify = true;
      if (lastLwsp) {
        modify = true;
        remove++;
      }
      lastLwsp = true;
    } else if (c === 13 || c === 10) {
      remove++;
      modify = true;
    } else {
      if (c === 34 || c === 92 || c >= 0x80) modify = true;
      lastLwsp = false;
    }
    if (!lastLwsp) whitespacePrefix = false;
  }
  if (lastLwsp && src.length > 0 && !whitespacePrefix) {
    modify = true;
    remove++;
  }
  if (!modify) return `"${src}"`;
  if (src.length === remove) return '""';
  let out = '';
  lastLwsp = true;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 0) {
      out += '\x80';
      lastLwsp = false;
    } else if (c === 9 || c === 32) {
      if (!lastLwsp) out += ' ';
      lastLwsp = true;
    } else if (c === 13 || c === 10) {
      // dropped
    } else {
      out += src[i];
      lastLwsp = false;
    }
  }
  if (lastLwsp && out.length > 0) out = out.slice(0, -1);
  return `{${out.length}}\r\n${out}`;
}
