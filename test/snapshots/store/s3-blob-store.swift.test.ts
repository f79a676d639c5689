/**
 * The S3 blob store against OpenStack Swift's s3api (scripts/start-swift.sh starts it): a second,
 * production-grade S3 implementation. Slow to install and start, so only with MTM_TEST_SWIFT=1
 * (.ci/run runs it as a second command).
 */
import { s3BlobStoreSuite } from './s3-blob-store-suite.js';

if (process.env.MTM_TEST_SWIFT === '1') s3BlobStoreSuite('swift');
else test.skip('OpenStack Swift: set MTM_TEST_SWIFT=1 to run (scripts/start-swift.sh starts it)', () => undefined);
