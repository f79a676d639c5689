/** The embedded store: blobs under <path>/blobs, the catalog in <path>/catalog.sqlite. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore, type BlobStore } from './blob-store.js';
import type { Catalog } from './catalog.js';
import { SqliteCatalog } from './sqlite-catalog.js';

export interface Store {
  path: string;
  blobs: BlobStore;
  catalog: Catalog;
  close(): Promise<void>;
}

export function openStore(path: string): Store {
  mkdirSync(join(path, 'blobs'), { recursive: true });
  const catalog = new SqliteCatalog(join(path, 'catalog.sqlite'));
  return { path, blobs: new FileBlobStore(path), catalog, close: () => catalog.close() };
}
