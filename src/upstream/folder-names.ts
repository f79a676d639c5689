/**
 * Live folder paths become store names: UTF-8 segments joined by "/" whatever the live server's
 * delimiter, so every snapshot looks the same to clients and scripts.
 */
export function storeFolderName(livePath: string, delimiter: string | null | undefined): string {
  if (!delimiter || delimiter === '/') return livePath;
  return livePath.split(delimiter).map((segment) => segment.replaceAll('/', '\u2215')).join('/');
}

/** The inverse, for restores into the live server. */
export function liveFolderPath(storeName: string, delimiter: string | null | undefined): string {
  if (!delimiter || delimiter === '/') return storeName;
  return storeName.split('/').map((segment) => segment.replaceAll('\u2215', '/')).join(delimiter);
}
