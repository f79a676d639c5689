/** The public surface of src/coordination: the shared Redis connection and the snapshot claims instances share. */
export { openRedis, closeRedis, describeRedisUrl, type RedisConnectionOptions } from './redis-connection.js';
export { claimsFor, soleInstanceClaims, RedisSnapshotClaims, type SnapshotClaim, type SnapshotClaims, type ClaimWarning, type RedisClaimsOptions } from './snapshot-claims.js';
