/**
 * A folder path within one snapshot day: UTF-8, "/"-separated, as the catalog keeps it. The one
 * place that knows INBOX's rule (RFC 3501 §5.1: any case of `inbox` as the first path element names
 * INBOX) and how a path implies its parent folders.
 */

export const INBOX = 'INBOX';
export const FOLDER_DELIMITER = '/';

/** The one spelling of a folder path: `inbox/x`, `Inbox/x` and `INBOX/x` all become `INBOX/x`. */
export function canonicalFolderPath(path: string): string {
  const cut = path.indexOf(FOLDER_DELIMITER);
  const first = cut === -1 ? path : path.slice(0, cut);
  return isInboxSpelling(first) ? INBOX + path.slice(first.length) : path;
}

/**
 * ASCII case only: `toUpperCase()` would turn a folder called `ınbox` (dotless ı) into INBOX and
 * hide it behind the real one.
 */
function isInboxSpelling(element: string): boolean {
  return /^inbox$/i.test(element);
}

/** `path` is `ancestor` or lies below it (both canonicalised first). */
export function isWithinFolder(path: string, ancestor: string): boolean {
  const canonical = canonicalFolderPath(path);
  const top = canonicalFolderPath(ancestor);
  return canonical === top || canonical.startsWith(top + FOLDER_DELIMITER);
}

/** The last element of a path, for file names (`Archive/2025` → `2025`). */
export function leafName(path: string): string {
  return path.slice(path.lastIndexOf(FOLDER_DELIMITER) + 1) || path;
}

/**
 * Every folder path and the parents it implies (`Archive/2025` implies `Archive`): path →
 * selectable. A parent that is not a folder of its own is listed, but not selectable (`\Noselect`).
 */
export function withParents(paths: Iterable<string>): Map<string, boolean> {
  const selectable = new Map<string, boolean>();
  for (const path of paths) {
    selectable.set(path, true);
    const segments = path.split(FOLDER_DELIMITER);
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join(FOLDER_DELIMITER);
      if (!selectable.has(parent)) selectable.set(parent, false);
    }
  }
  return selectable;
}
