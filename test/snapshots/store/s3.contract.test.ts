/** The store contract suite with blobs on s3rver (started by global-setup). */
import { s3StoreContract } from './s3-contract.js';

s3StoreContract('s3rver');
