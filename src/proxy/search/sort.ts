/**
 * SORT (RFC 5256 §3; DISPLAYFROM/DISPLAYTO of RFC 5957): orders the messages a search program
 * matches. Strings compare after i;unicode-casemap folding; a message lacking the header sorts as
 * the empty string; exact ties keep mailbox order, as RFC 5256 requires.
 */
import type { OpenMailbox } from '../ports.js';
import type { Token } from '../protocol/tokens.js';
import { isGroupStart, parseAddressList } from '../../mail/address.js';
import { extractBaseSubject } from './base-subject.js';
import { parseDateHeader } from '../../mail/dates.js';
import { visitMessages, type SearchData } from './content-reader.js';
import { runSearch } from './evaluate.js';
import type { MessageContent } from './message-content.js';
import { firstField } from './message-parts.js';
import { parseReturnOptions, parseSearchProgram, type ReturnSpec } from './parse.js';
import { renderSearchResponse } from './render.js';
import { SearchError, type SearchProgram } from './program.js';
import { foldForSearch } from './text.js';
import { decodeHeaderValue } from '../../mail/header-text.js';

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';
export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

const SORT_KEYS: SortKey[] = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO'];

/** `(REVERSE DATE SUBJECT)` → criteria. Throws SearchError (BAD) on anything else. */
export function parseSortCriteria(list: Token): SortCriterion[] {
  if (list.type !== 'list' || list.items.length === 0) throw new SearchError('SORT needs a parenthesised, non-empty list of sort criteria');
  const criteria: SortCriterion[] = [];
  let reverse = false;
  for (const item of list.items) {
    const name = item.type === 'atom' ? item.value.toUpperCase() : '';
    if (name === 'REVERSE' && !reverse) {
      reverse = true;
      continue;
    }
    if (!SORT_KEYS.includes(name as SortKey)) throw new SearchError(`Unknown sort criterion: ${item.type === 'atom' ? item.value : '(non-atom)'}`);
    criteria.push({ key: name as SortKey, reverse });
    reverse = false;
  }
  if (reverse) throw new SearchError('REVERSE must be followed by a sort criterion');
  return criteria;
}

/** Whole `SORT [RETURN (…)] (criteria) charset key…` argument list (RETURN: ESORT, RFC 5267) → its parts. */
export function parseSortArguments(args: Token[], options: { uid: boolean }): { criteria: SortCriterion[]; program: SearchProgram } {
  let returnSpec: ReturnSpec = { returnOptions: null };
  if (args[0]?.type === 'atom' && !args[0].section && args[0].value.toUpperCase() === 'RETURN') {
    returnSpec = parseReturnOptions(args[1]);
    args = args.slice(2);
  }
  if (args.length < 3) throw new SearchError('SORT needs sort criteria, a charset and search keys');
  const criteria = parseSortCriteria(args[0]);
  const charsetAtom: Token = { type: 'atom', value: 'CHARSET' };
  const program = parseSearchProgram([charsetAtom, ...args.slice(1)], { uid: options.uid, esearchAllowed: false });
  return { criteria, program: { ...program, ...returnSpec } };
}

function firstAddressHeader(message: MessageContent, name: string) {
  const field = firstField(message.headerFields(), name);
  if (!field) return null;
  return parseAddressList(field.value.toString('utf8'));
}

/** Sent date as an instant for SORT DATE and THREAD; INTERNALDATE when Date: is missing or unreadable. */
export function sortDate(message: MessageContent): number {
  const field = firstField(message.headerFields(), 'Date');
  const parsed = field ? parseDateHeader(field.value.toString('latin1')) : null;
  return parsed && parsed.time > 0 ? parsed.time : message.ref.internalDate.getTime();
}

export function baseSubjectOf(message: MessageContent): string {
  const field = firstField(message.headerFields(), 'Subject');
  return field ? extractBaseSubject(field.value.toString('utf8')).base : '';
}

function keyValue(message: MessageContent, key: SortKey): number | string {
  switch (key) {
    case 'ARRIVAL':
      return message.ref.internalDate.getTime();
    case 'SIZE':
      return message.ref.size;
    case 'DATE':
      return sortDate(message);
    case 'SUBJECT':
      return baseSubjectOf(message);
    case 'FROM':
    case 'TO':
    case 'CC': {
      const items = firstAddressHeader(message, key === 'CC' ? 'Cc' : key === 'TO' ? 'To' : 'From');
      // A group comes first: Dovecot takes the group name (its start marker's mailbox) as the mailbox.
      return foldForSearch(items?.[0]?.mailbox ?? '');
    }
    case 'DISPLAYFROM':
    case 'DISPLAYTO': {
      const items = firstAddressHeader(message, key === 'DISPLAYTO' ? 'To' : 'From');
      const first = items?.[0];
      if (!first || first.mailbox === null) return '';
      // A group comes first: like Dovecot, its name stands for the display name.
      if (isGroupStart(first)) return foldForSearch(decodeHeaderValue(first.mailbox));
      const name = first.name ? decodeHeaderValue(first.name) : '';
      return foldForSearch(name || `${first.mailbox}@${first.domain}`);
    }
  }
}

function compareValues(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort keys answered from the catalog row alone; every other key reads the header block. */
const INDEX_SORT_KEYS = new Set<SortKey>(['ARRIVAL', 'SIZE']);

/** Sequence numbers of the matching messages, in sort order. */
export async function runSort(criteria: SortCriterion[], charset: string, program: SearchProgram, mailbox: OpenMailbox): Promise<number[]> {
  void charset; // the program was parsed with it; strings are already Unicode
  const matches = await runSearch(program, mailbox);
  const rows: Array<{ sequence: number; values: Array<number | string> }> = [];
  const data: SearchData = criteria.every((criterion) => INDEX_SORT_KEYS.has(criterion.key)) ? 'index' : 'header';
  await visitMessages(
    mailbox,
    data,
    (message) => rows.push({ sequence: message.sequence, values: criteria.map((criterion) => keyValue(message, criterion.key)) }),
    matches,
  );
  rows.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const order = compareValues(a.values[i], b.values[i]);
      if (order !== 0) return criteria[i].reverse ? -order : order;
    }
    return a.sequence - b.sequence;
  });
  return rows.map((row) => row.sequence);
}

/**
 * `* SORT 3 1 2` with sequence numbers or UIDs; with a program, its RETURN options give the ESORT
 * answer `* ESEARCH (TAG …) …` (RFC 5267 §3) and a MODSEQ key the `(MODSEQ n)` suffix.
 */
export function renderSortResponse(
  sorted: readonly number[],
  mailbox: OpenMailbox,
  options: { uid: boolean; program?: SearchProgram; tag?: string },
): string {
  const program: SearchProgram = options.program ?? { key: { kind: 'all' }, charset: 'UTF-8', uid: options.uid, returnOptions: null };
  return renderSearchResponse(program, sorted, mailbox, { uid: options.uid, tag: options.tag ?? '*', sorting: true });
}
