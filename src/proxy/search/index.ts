/** SEARCH, ESEARCH, SORT and THREAD for the read-only IMAP server: the one entry point for command modules. */
export { parseSearchProgram, parseReturnOptions } from './parse.js';
export { runSearch } from './evaluate.js';
export { renderSearchResponse, formatOrderedSet } from './render.js';
export { parseSortCriteria, parseSortArguments, runSort, renderSortResponse, type SortCriterion, type SortKey } from './sort.js';
export { runThread } from './thread.js';
export { extractBaseSubject } from './base-subject.js';
export { SearchError, BADCHARSET_CODE, usesModseq, type SearchProgram, type SearchKey, type ReturnOption } from './program.js';
