/**
 * The store contract suite: what every Catalog, BlobStore and JobStore implementation must do.
 * A backend's test file (see ../embedded.contract.test.ts) calls these with factories of fresh,
 * empty instances.
 */
export { blobStoreContract, type FreshBlobStore, type MakeBlobStore } from './blob-store.js';
export { catalogContract } from './catalog.js';
export { jobStoreContract } from './job-store.js';
export { storeContract, type FreshStore } from './store.js';
export { withFresh, type Fresh } from './subject.js';
