/**
 * The S3 blob backend (`store.s3` with a bucket): blobs in S3-compatible object storage, the
 * catalog wherever the catalog backend keeps it. Opening makes no request, so `mtm serve` starts
 * while the storage is down and /readyz says why; the probe is a write, read and delete.
 */
import type { BlobBackend, BlobBackendFactory } from '../backend.js';
import type { StoreAccess, StoreObserver, StoreProbe, StoreSettings } from '../store.js';
import { S3BlobStore, S3StorageError, type S3FailureReason } from './s3-blob-store.js';

const FIXES: Record<S3FailureReason, string> = {
  unreachable: 'check store.s3.endpoint and that the object storage is running and reachable from this host',
  credentials: 'check store.s3.accessKeyId and store.s3.secretAccessKey (or MTM_STORE_S3_*), and that the key may read, write and delete in the bucket',
  'no-bucket': 'create the bucket, or correct store.s3.bucket',
  missing: 'check that nothing else deletes objects under store.s3.prefix',
  other: 'see the error; check store.s3 (endpoint, region, forcePathStyle)',
};

async function probeS3(store: S3BlobStore): Promise<StoreProbe> {
  try {
    await store.probe();
    return { part: 's3', ok: true, detail: `${store.description}: write, read and delete work` };
  } catch (error) {
    const reason = error instanceof S3StorageError ? error.reason : 'other';
    return { part: 's3', ok: false, detail: (error as Error).message, fix: FIXES[reason] };
  }
}

function s3Of(settings: StoreSettings) {
  if (!settings.s3?.bucket) throw new Error('the S3 blob backend needs store.s3.bucket');
  return settings.s3;
}

export const s3BlobBackend: BlobBackendFactory = {
  async open(settings: StoreSettings, access: StoreAccess, observer: StoreObserver): Promise<BlobBackend> {
    const store = new S3BlobStore(s3Of(settings), observer);
    return {
      description: store.description,
      blobs: store,
      readOnly: access === 'read' ? 'opened for reading' : null,
      // Every request goes through S3BlobStore, which turns SDK errors into S3StorageError.
      describeFailure: (error) => (error instanceof S3StorageError ? error : null),
      probe: async () => [await probeS3(store)],
      close: async () => store.close(),
    };
  },
  async probe(settings: StoreSettings): Promise<StoreProbe[]> {
    const store = new S3BlobStore(s3Of(settings));
    try {
      return [await probeS3(store)];
    } finally {
      store.close();
    }
  },
};
