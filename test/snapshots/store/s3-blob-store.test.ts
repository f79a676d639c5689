/** The S3 blob store against s3rver, the light S3-protocol server global-setup starts for every run. */
import { s3BlobStoreSuite } from './s3-blob-store-suite.js';

s3BlobStoreSuite('s3rver');
