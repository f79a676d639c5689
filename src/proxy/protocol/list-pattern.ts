/**
 * LIST / LSUB patterns (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the hierarchy
 * delimiter. The reference name is prefixed to the pattern.
 *
 * Matching simulates the pattern as a set of positions (a Thompson NFA) over the name's characters:
 * time is at most (name length × pattern length), whatever the pattern. A backtracking regular
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

interface CompiledPattern {
  /** Per step: LITERAL, ANY or LEVEL. */
  kinds: Uint8Array;
  /** Per step: the character (a code point) a LITERAL step needs. */
  chars: string[];
  /** How many LITERAL steps there are: a name with fewer characters cannot match. */
  literals: number;
}

/** Pattern → steps. Adjacent wildcards merge (`*%`, `%*`, `**` are `*`; `%%` is `%`): they match the same names. */
function compile(pattern: string): CompiledPattern {
  const kinds: number[] = [];
  const chars: string[] = [];
  let literals = 0;
  for (const char of pattern) {
    const kind = char === '*' ? ANY : char === '%' ? LEVEL : LITERAL;
    const last = kinds.length - 1;
    if (kind !== LITERAL && last >= 0 && kinds[last] !== LITERAL) {
      if (kind === ANY) kinds[last] = ANY;
      continue;
    }
    kinds.push(kind);
    chars.push(kind === LITERAL ? char : '');
    if (kind === LITERAL) literals++;
  }
  return { kinds: Uint8Array.from(kinds), chars, literals };
}

/** Whether the name (as code points) matches the compiled pattern; O(name × steps), no backtracking. */
function matchesCompiled(pattern: CompiledPattern, name: string[], delimiter: string): boolean {
  const { kinds, chars } = pattern;
  const steps = kinds.length;
  if (name.length < pattern.literals) return false;
  // active[i]: the first i steps can match what was read so far. A wildcard step may match nothing,
  // so being at a wildcard also means being past it (the forward pass of `close`).
  let active = new Uint8Array(steps + 1);
  let next = new Uint8Array(steps + 1);
  const close = (set: Uint8Array): void => {
    for (let i = 0; i < steps; i++) if (set[i] && kinds[i] !== LITERAL) set[i + 1] = 1;
  };
  active[0] = 1;
  close(active);
  for (const char of name) {
    next.fill(0);
    let any = false;
    for (let i = 0; i < steps; i++) {
      if (!active[i]) continue;
      const kind = kinds[i];
      if (kind === ANY || (kind === LEVEL && char !== delimiter)) {
        next[i] = 1;
        any = true;
      } else if (kind === LITERAL && chars[i] === char) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    [active, next] = [next, active];
  }
  return active[steps] === 1;
}

/** A predicate for mailbox names (UTF-8); INBOX matches case-insensitively. */
export function listPatternMatcher(pattern: string, delimiter = '/'): (name: string) => boolean {
  const canonical = /^inbox(?=$|[/%*])/i.test(pattern) ? 'INBOX' + pattern.slice(5) : pattern;
  const compiled = compile(canonical);
  return (name) => matchesCompiled(compiled, Array.from(normaliseMailboxName(name, delimiter)), delimiter);
}
