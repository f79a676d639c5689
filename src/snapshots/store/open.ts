/**
 * Opens the store the settings describe: a catalog backend (catalog + restore jobs) and a blob
 * backend, each embedded unless configured otherwise. Adding a backend is one line per half here
 * plus its own directory beside embedded/ (s3/: blobs in S3-compatible object storage).
 */
import type { BlobBackend, BlobBackendFactory, CatalogBackend, CatalogBackendFactory } from './backend.js';
import { embeddedBlobBackend, embeddedCatalogBackend } from './embedded/backend.js';
import { probeLocalDirectory } from './embedded/local-disk.js';
import type { IntegrityReport, Store, StoreAccess, StoreObserver, StoreProbe, StoreSettings, StoreSizes } from './store.js';

// A remote backend is imported only when configured, so the embedded quick start loads none of
// its client libraries: e.g. `return (await import('./postgres/backend.js')).postgresCatalogBackend;`
async function catalogBackendFor(settings: StoreSettings): Promise<CatalogBackendFactory> {
  // Loaded only when configured: the embedded store never loads the PostgreSQL driver.
  if (settings.postgres?.url) return (await import('./postgres/backend.js')).postgresCatalogBackend;
  return embeddedCatalogBackend;
}

async function blobBackendFor(settings: StoreSettings): Promise<BlobBackendFactory> {
  // Loaded only when configured: the AWS SDK is a large module graph to load at every start.
  if (settings.s3?.bucket) return (await import('./s3/backend.js')).s3BlobBackend;
  return embeddedBlobBackend;
}

/** `observer` hears of damaged blobs and backend calls (to log and count them). */
export async function openStore(settings: StoreSettings, access: StoreAccess = 'write', observer: StoreObserver = {}): Promise<Store> {
  const blobFactory = await blobBackendFor(settings);
  const catalogFactory = await catalogBackendFor(settings);
  const blobs = await blobFactory.open(settings, access, observer);
  let catalog: CatalogBackend;
  try {
    catalog = await catalogFactory.open(settings, access, observer);
  } catch (error) {
    await blobs.close();
    throw error;
  }
  return assemble(settings, catalog, blobs);
}

function assemble(settings: StoreSettings, catalog: CatalogBackend, blobs: BlobBackend): Store {
  return {
    description: catalog.description === blobs.description ? catalog.description : `${catalog.description} + ${blobs.description}`,
    blobs: blobs.blobs,
    catalog: catalog.catalog,
    get jobs() {
      return catalog.jobs;
    },
    // The blob directory is made first, so its failure is the one that names the cause (as before).
    readOnly: blobs.readOnly ?? catalog.readOnly,
    describeFailure: (error) => catalog.describeFailure(error) ?? blobs.describeFailure(error),
    sizes: () => sizesOf(catalog),
    probe: async () => [await probeLocalDirectory(settings.path), ...(await catalog.probe()), ...(await blobs.probe())],
    checkIntegrity: (options) => catalog.checkIntegrity(options),
    async close() {
      try {
        await catalog.close();
      } finally {
        await blobs.close();
      }
    },
  };
}

/** Blob totals come from the catalog (what is referenced), so they mean the same for every blob backend. */
async function sizesOf(catalog: CatalogBackend): Promise<StoreSizes> {
  let blobBytes = 0;
  let blobCount = 0;
  for (const account of await catalog.catalog.accounts()) {
    for (const blob of await catalog.catalog.referencedBlobs(account)) {
      blobCount += 1;
      blobBytes += blob.storedBytes;
    }
  }
  return { catalogBytes: await catalog.catalogBytes(), searchIndexBytes: await catalog.searchIndexBytes(), blobBytes, blobCount };
}

/** Reachable and writable, without opening the store (mtm doctor): the local directory, then each backend. */
export async function probeStore(settings: StoreSettings): Promise<StoreProbe[]> {
  const local = await probeLocalDirectory(settings.path);
  const catalog = await (await catalogBackendFor(settings)).probe(settings);
  const blobs = await (await blobBackendFor(settings)).probe(settings);
  return [local, ...catalog, ...blobs];
}

/** The catalog's consistency, without opening the store (a damaged catalog may not even open). */
export async function checkStoreIntegrity(settings: StoreSettings, options: { thorough: boolean }): Promise<IntegrityReport> {
  return (await catalogBackendFor(settings)).checkIntegrity(settings, options);
}
