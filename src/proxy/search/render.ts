/**
 * The untagged answer of SEARCH: `* SEARCH 2 4 7`, or with RETURN (RFC 4731)
 * `* ESEARCH (TAG "a1") UID MIN 2 MAX 7 ALL 2,4,7 COUNT 3` — field order and empty-result
 * behaviour as Dovecot writes them.
 */
import type { OpenMailbox } from '../ports.js';
import { formatSequenceSet } from '../protocol/sequence-set.js';
import type { SearchProgram } from './program.js';

function quoteTag(tag: string): string {
  return `"${tag.replace(/(["\\])/g, '\\$1')}"`;
}

/** `matches` are sequence numbers as runSearch returns them; UIDs are answered when `uid` is set. */
export function renderSearchResponse(
  program: SearchProgram,
  matches: readonly number[],
  mailbox: OpenMailbox,
  options: { uid: boolean; tag: string },
): string {
  const ids = options.uid ? matches.map((sequence) => mailbox.messages[sequence - 1].uid) : [...matches];
  if (!program.returnOptions) return ids.length ? `* SEARCH ${ids.join(' ')}` : '* SEARCH';
  let line = `* ESEARCH (TAG ${quoteTag(options.tag)})`;
  if (options.uid) line += ' UID';
  const sorted = [...ids].sort((a, b) => a - b);
  // Dovecot's order, whatever order the client asked in: MIN MAX ALL COUNT.
  const wanted = new Set(program.returnOptions);
  if (wanted.has('MIN') && sorted.length) line += ` MIN ${sorted[0]}`;
  if (wanted.has('MAX') && sorted.length) line += ` MAX ${sorted[sorted.length - 1]}`;
  if (wanted.has('ALL') && sorted.length) line += ` ALL ${formatSequenceSet(sorted)}`;
  if (wanted.has('COUNT')) line += ` COUNT ${sorted.length}`;
  return line;
}
