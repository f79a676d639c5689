/**
 * The untagged answer of SEARCH and SORT: `* SEARCH 2 4 7`, `* SORT 7 2 4`, or with RETURN
 * (ESEARCH RFC 4731, ESORT/CONTEXT RFC 5267) `* ESEARCH (TAG "a1") UID MIN 2 MAX 7 ALL 2,4,7 COUNT 3`
 * — field order, set notation and empty-result behaviour as Dovecot writes them. A search that
 * used MODSEQ ends with the highest MODSEQ of the matches (RFC 7162 §3.1.5).
 */
import type { OpenMailbox } from '../ports.js';
import { folderModseq } from '../protocol/modseq.js';
import { usesModseq, type SearchProgram } from './program.js';

function quoteTag(tag: string): string {
  return `"${tag.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Numbers in the given order as a sequence set: only ascending runs merge ([3,4,5,1] → "3:5,1"),
 * so a sorted result keeps its order (RFC 5267 §3.1) and an ascending one is the usual compact form.
 */
export function formatOrderedSet(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let end = i;
    while (end + 1 < values.length && values[end + 1] === values[end] + 1) end++;
    parts.push(end === i ? `${values[i]}` : `${values[i]}:${values[end]}`);
    i = end + 1;
  }
  return parts.join(',');
}

/**
 * `matches` are sequence numbers as runSearch returns them (ascending) or runSort orders them;
 * UIDs are answered when `uid` is set. `sorting` names the classic answer `SORT` instead of `SEARCH`.
 */
export function renderSearchResponse(
  program: SearchProgram,
  matches: readonly number[],
  mailbox: OpenMailbox,
  options: { uid: boolean; tag: string; sorting?: boolean },
): string {
  const ids = options.uid ? matches.map((sequence) => mailbox.messages[sequence - 1].uid) : [...matches];
  const modseq = usesModseq(program.key) && ids.length > 0 ? folderModseq(mailbox) : null;
  if (!program.returnOptions) {
    const name = options.sorting ? '* SORT' : '* SEARCH';
    return `${name}${ids.length ? ` ${ids.join(' ')}` : ''}${modseq !== null ? ` (MODSEQ ${modseq})` : ''}`;
  }
  let line = `* ESEARCH (TAG ${quoteTag(options.tag)})`;
  if (options.uid) line += ' UID';
  // Dovecot's order, whatever order the client asked in: MIN MAX ALL PARTIAL COUNT MODSEQ. For a
  // SORT, MIN and MAX are the first and last in sort order (RFC 5267 §3.2: "lowest sorted").
  const wanted = new Set(program.returnOptions);
  if (wanted.has('MIN') && ids.length) line += ` MIN ${ids[0]}`;
  if (wanted.has('MAX') && ids.length) line += ` MAX ${ids[ids.length - 1]}`;
  if (wanted.has('ALL') && ids.length) line += ` ALL ${formatOrderedSet(ids)}`;
  if (program.partial) {
    const { first, last } = program.partial;
    const slice = ids.slice(first - 1, last);
    line += ` PARTIAL (${first}:${last} ${slice.length ? formatOrderedSet(slice) : 'NIL'})`;
  }
  if (wanted.has('COUNT')) line += ` COUNT ${ids.length}`;
  if (modseq !== null) line += ` MODSEQ ${modseq}`;
  return line;
}
