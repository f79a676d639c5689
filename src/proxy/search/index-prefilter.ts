/**
 * The store's search index (OpenMailbox.textCandidates) as a prefilter for a whole program: which
 * messages can match at all, so BODY/TEXT read only those. It never decides a match — the exact
 * matcher still runs on every candidate — and it only leaves a message out when a key the program
 * needs to hold (a BODY/TEXT key, alone, under AND, or on both sides of an OR) cannot hold for it.
 * NOT, and any key the index knows nothing of, rule nothing out.
 */
import type { OpenMailbox } from '../ports.js';
import { SEARCH_TEXT_VERSION } from './message-content.js';
import type { SearchKey } from './program.js';
import { foldForSearch } from './text.js';

/** Blob hashes of the messages the key can match; null when any message may. */
async function possibleBlobs(key: SearchKey, mailbox: OpenMailbox): Promise<Set<string> | null> {
  switch (key.kind) {
    case 'text': {
      // An empty value matches everything (evaluate.ts); the index has nothing to say.
      const folded = key.value === '' ? '' : foldForSearch(key.value);
      if (!folded || !mailbox.textCandidates) return null;
      return mailbox.textCandidates(folded, SEARCH_TEXT_VERSION);
    }
    case 'and': {
      let possible: Set<string> | null = null;
      for (const inner of key.keys) {
        const blobs = await possibleBlobs(inner, mailbox);
        if (!blobs) continue;
        const narrowed: Set<string> = possible ? new Set([...possible].filter((hash: string) => blobs.has(hash))) : blobs;
        possible = narrowed;
      }
      return possible;
    }
    case 'or': {
      const left = await possibleBlobs(key.left, mailbox);
      if (!left) return null;
      const right = await possibleBlobs(key.right, mailbox);
      return right ? new Set([...left, ...right]) : null;
    }
    default:
      return null;
  }
}

/** Sequence numbers (ascending) of the messages the program can match, or null for all of them. */
export async function candidateSequences(key: SearchKey, mailbox: OpenMailbox): Promise<number[] | null> {
  const possible = await possibleBlobs(key, mailbox);
  if (!possible) return null;
  const sequences: number[] = [];
  mailbox.messages.forEach((message, index) => {
    if (possible.has(message.blobHash)) sequences.push(index + 1);
  });
  return sequences;
}
