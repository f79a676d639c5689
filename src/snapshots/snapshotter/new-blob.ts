/**
 * What the catalog records of a message when its blob is first stored: the structure, the header
 * block and, with the search index on, the text SEARCH TEXT/BODY compare against — computed by the
 * search engine's own decoder (src/proxy/search), so the index can never disagree with it.
 */
import { analyzeMessage } from '../../mail/analyze.js';
import { STRUCTURE_VERSION, type MessageStructure } from '../../mail/structure.js';
import { SEARCH_TEXT_VERSION, searchableText } from '../../proxy/search/message-content.js';
import type { BlobRecord, NewBlob, SearchText } from '../store/catalog.js';

/**
 * Longer searchable texts are not indexed: such a message stays a candidate of every search (read
 * as without the index), and the index stays far below the size of the mail it covers.
 */
export const MAX_INDEXED_TEXT = 4 * 1024 * 1024;

function searchTextOf(raw: Buffer, structure: MessageStructure): SearchText | undefined {
  // A structure from an older analyzer gives other parts than the search engine reads today.
  if (structure.version !== STRUCTURE_VERSION) return undefined;
  const text = searchableText(raw, structure);
  return text.length <= MAX_INDEXED_TEXT ? { text, version: SEARCH_TEXT_VERSION } : undefined;
}

/** `searchIndex`: the catalog's; `structure` when already known (analysed from these bytes). */
export async function describeNewBlob(raw: Buffer, blob: BlobRecord, searchIndex: boolean, known?: MessageStructure): Promise<NewBlob> {
  const structure = known ?? (await analyzeMessage(raw));
  // A copy: a view would keep the whole body alive until the batch is recorded.
  const header = Buffer.from(raw.subarray(0, structure.headerLength));
  return { blob, structure, header, searchText: searchIndex ? searchTextOf(raw, structure) : undefined };
}
