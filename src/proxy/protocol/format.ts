/**
 * Small helpers to write response text: strings as quoted or literal, astrings, response lines.
 * Everything here returns bytes or text; nothing writes to the socket.
 */

/** Text that fits in a quoted string: no CR, LF or NUL, and not absurdly long. */
function quotable(text: string): boolean {
  return text.length < 1024 && !/[\r\n\0]/.test(text);
}

/** A string as `"…"` (with `\` escapes) or, when it cannot be quoted, as a `{n}` literal. */
export function quoteString(text: string): string {
  if (quotable(text)) return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `{${Buffer.byteLength(text)}}\r\n${text}`;
}

/** `NIL` for null, else a quoted string. */
export function nstring(text: string | null | undefined): string {
  return text === null || text === undefined ? 'NIL' : quoteString(text);
}

/** A list of strings as `("a" "b")`, or `NIL` when empty and `nilWhenEmpty`. */
export function stringList(items: string[], nilWhenEmpty = false): string {
  if (items.length === 0 && nilWhenEmpty) return 'NIL';
  return `(${items.map(quoteString).join(' ')})`;
}

/** A response line: text followed by CRLF. */
export function line(text: string): Buffer {
  return Buffer.from(`${text}\r\n`);
}
