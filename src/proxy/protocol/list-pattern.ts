/**
 * LIST / LSUB patterns (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the hierarchy
 * delimiter. The reference name is prefixed to the pattern.
 *
 * Matching simulates the pattern as a set of positions (a Thompson NFA, bit-parallel) over the
 * name's characters: time is at most name length × pattern length / 32, whatever the pattern. A backtracking regular
 * expression took exponential time on `*%*%*%*%*%*%*%Z` and froze the whole process.
 */
import { normaliseMailboxName } from './mailbox-name.js';

/** Reference + pattern as one canonical pattern. */
export function joinReference(reference: string, pattern: string, delimiter = '/'): string {
  if (!reference) return pattern;
  if (reference.endsWith(delimiter) && pattern.startsWith(delimiter)) return reference + pattern.slice(1);
  return reference + pattern;
}

const LITERAL = 0;
/** `*`: any run of characters. */
const ANY = 1;
/** `%`: any run of characters without the delimiter. */
const LEVEL = 2;

/**
 * The pattern as steps, one bit each (bit i: "the first i steps have matched"), packed in 32-bit
 * words so that one name character advances every position at once (bit-parallel, as in Shift-And).
 */
interface CompiledPattern {
  steps: number;
  words: number;
  /** Per character of the pattern: the LITERAL steps that need it. */
  charMasks: Map<string, Uint32Array>;
  /** Steps that stay put on any character (`*`), on any but the delimiter (`*` and `%`). */
  anyMask: Uint32Array;
  wildMask: Uint32Array;
  /** How many LITERAL steps there are: a name with fewer characters cannot match. */
  literals: number;
}

/** Pattern → steps. Adjacent wildcards merge (`*%`, `%*`, `**` are `*`; `%%` is `%`): they match the same names. */
function compile(pattern: string): CompiledPattern {
  const kinds: number[] = [];
  const chars: string[] = [];
  for (const char of pattern) {
    const kind = char === '*' ? ANY : char === '%' ? LEVEL : LITERAL;
    const last = kinds.length - 1;
    if (kind !== LITERAL && last >= 0 && kinds[last] !== LITERAL) {
      if (kind === ANY) kinds[last] = ANY;
      continue;
    }
    kinds.push(kind);
    chars.push(char);
  }
  const steps = kinds.length;
  const words = (steps >>> 5) + 1; // room for the bit of "all steps matched"
  const charMasks = new Map<string, Uint32Array>();
  const anyMask = new Uint32Array(words);
  const wildMask = new Uint32Array(words);
  let literals = 0;
  kinds.forEach((kind, i) => {
    const word = i >>> 5;
    const bit = 1 << (i & 31);
    if (kind === LITERAL) {
      literals++;
      let mask = charMasks.get(chars[i]);
      if (!mask) charMasks.set(chars[i], (mask = new Uint32Array(words)));
      mask[word] |= bit;
    } else {
      wildMask[word] |= bit;
      if (kind === ANY) anyMask[word] |= bit;
    }
  });
  return { steps, words, charMasks, anyMask, wildMask, literals };
}

/** Whether the name (as code points) matches: O(name × steps / 32), whatever the pattern. */
function matchesCompiled(pattern: CompiledPattern, name: string[], delimiter: string): boolean {
  const { steps, words, charMasks, anyMask, wildMask } = pattern;
  if (name.length < pattern.literals) return false;
  let active = new Uint32Array(words);
  let next = new Uint32Array(words);
  // A wildcard may match nothing: being at one also means being past it. Adjacent wildcards were
  // merged, so one shift reaches every such position.
  const close = (set: Uint32Array): void => {
    let carry = 0;
    for (let w = 0; w < words; w++) {
      const skipped = set[w] & wildMask[w];
      set[w] |= (skipped << 1) | carry;
      carry = skipped >>> 31;
    }
  };
  active[0] = 1;
  close(active);
  for (const char of name) {
    const literal = charMasks.get(char);
    const stay = char === delimiter ? anyMask : wildMask;
    let carry = 0;
    let any = 0;
    for (let w = 0; w < words; w++) {
      const advanced = literal ? active[w] & literal[w] : 0;
      next[w] = (advanced << 1) | carry | (active[w] & stay[w]);
      carry = advanced >>> 31;
      any |= next[w];
    }
    if (any === 0) return false;
    close(next);
    [active, next] = [next, active];
  }
  return (active[steps >>> 5] & (1 << (steps & 31))) !== 0;
}

/** A predicate for mailbox names (UTF-8); INBOX matches case-insensitively. */
export function listPatternMatcher(pattern: string, delimiter = '/'): (name: string) => boolean {
  const canonical = /^inbox(?=$|[/%*])/i.test(pattern) ? 'INBOX' + pattern.slice(5) : pattern;
  const compiled = compile(canonical);
  return (name) => matchesCompiled(compiled, Array.from(normaliseMailboxName(name, delimiter)), delimiter);
}
