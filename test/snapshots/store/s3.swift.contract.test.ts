/** The store contract suite with blobs on OpenStack Swift's s3api; only with MTM_TEST_SWIFT=1 (scripts/start-swift.sh). */
import { s3StoreContract } from './s3-contract.js';

if (process.env.MTM_TEST_SWIFT === '1') s3StoreContract('swift');
else test.skip('OpenStack Swift: set MTM_TEST_SWIFT=1 to run (scripts/start-swift.sh starts it)', () => undefined);
