/**
 * LIST / LSUB patterns (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the hierarchy
 * delimiter. The reference name is prefixed to the pattern.
 */
import { normaliseMailboxName } from './mailbox-name.js';

/** Reference + pattern as one canonical pattern. */
export function joinReference(reference: string, pattern: string, delimiter = '/'): string {
  if (!reference) return pattern;
  if (reference.endsWith(delimiter) && pattern.startsWith(delimiter)) return reference + pattern.slice(1);
  return reference + pattern;
}

/** A predicate for mailbox names (UTF-8); INBOX matches case-insensitively. */
export function listPatternMatcher(pattern: string, delimiter = '/'): (name: string) => boolean {
  const canonical = /^inbox(?=$|[/%*])/i.test(pattern) ? 'INBOX' + pattern.slice(5) : pattern;
  const escapedDelimiter = delimiter.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  let source = '';
  for (const char of canonical) {
    if (char === '*') source += '.*';
    else if (char === '%') source += `[^${escapedDelimiter}]*`;
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`, 'su');
  return (name) => regex.test(normaliseMailboxName(name, delimiter));
}
