/**
 * A UID set within one folder of a snapshot (for the CLI and the HTTP API); the folder itself is
 * found by the snapshot walk (src/snapshots/walk).
 */
import { parseSequenceSet, selectFromSorted } from '../sequence-set.js';

/**
 * UIDs of a set like `3,7:9,12:*`. Ranges select the UIDs that exist; a single UID is kept even when
 * absent, so that whoever uses the list can say which message is missing.
 */
export function resolveUidSet(text: string, existing: readonly number[]): number[] {
  const set = parseSequenceSet(text.trim());
  if (!set) throw new Error(`"${text}" is not a UID set (examples: 42, 1:10, 3,7,9:*)`);
  const sorted = [...existing].sort((a, b) => a - b);
  const chosen = new Set(selectFromSorted(set, sorted));
  for (const range of set) if (range.from !== null && range.from === range.to) chosen.add(range.from);
  return [...chosen].sort((a, b) => a - b);
}
