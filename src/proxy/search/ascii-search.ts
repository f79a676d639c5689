/**
 * Case-insensitive search of an ASCII needle straight in 7-bit bytes. On such bytes it answers what
 * `foldForSearch(text).includes(foldForSearch(needle))` answers (folding ASCII only upper-cases
 * letters) without turning megabytes of body into strings first: Horspool's algorithm, comparing
 * bytes with ASCII letters lower-cased.
 */

/** Byte → the byte compared: A–Z as a–z, everything else as it is. */
const FOLD = new Uint8Array(256).map((_, byte) => (byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte));

/**
 * Longer needles are left to the caller's string search: Horspool's worst case grows with the
 * needle's length, and a long needle buys no speed.
 */
export const MAX_NEEDLE_BYTES = 32;

export class AsciiNeedle {
  private readonly pattern: Uint8Array;
  /** How far the window may move when its last byte (folded) is this one. */
  private readonly shift = new Uint32Array(256);

  private constructor(pattern: Uint8Array) {
    this.pattern = pattern;
    const last = pattern.length - 1;
    this.shift.fill(pattern.length);
    for (let index = 0; index < last; index++) this.shift[pattern[index]] = last - index;
  }

  /** null when the needle is empty, not ASCII or longer than MAX_NEEDLE_BYTES. */
  static compile(needle: string): AsciiNeedle | null {
    // eslint-disable-next-line no-control-regex
    if (needle.length === 0 || needle.length > MAX_NEEDLE_BYTES || /[^\x00-\x7f]/.test(needle)) return null;
    return new AsciiNeedle(Uint8Array.from(needle, (char) => FOLD[char.charCodeAt(0)]));
  }

  /** Whether bytes [start, end) hold the needle, ignoring the case of ASCII letters. */
  foundIn(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    const { pattern, shift } = this;
    const last = pattern.length - 1;
    const final = pattern[last];
    for (let at = start; at + last < end; ) {
      const tail = FOLD[bytes[at + last]];
      if (tail === final) {
        let index = last - 1;
        while (index >= 0 && FOLD[bytes[at + index]] === pattern[index]) index--;
        if (index < 0) return true;
      }
      at += shift[tail];
    }
    return false;
  }
}
