/**
 * The settings each area is given, one section of the configuration each. Modules take these
 * (or a `Pick` of them), never the whole `Config`: only the wiring (src/service.ts, src/cli)
 * sees everything, so a module's signature says which keys it reads.
 */
import type { Config } from './schema.js';

export type UpstreamSettings = Config['upstream'];
export type SnapshotSettings = Config['snapshot'];
export type StoreSettings = Config['store'];
export type ServerSettings = Config['server'];
export type HttpSettings = Config['http'];
export type RedisSettings = Config['redis'];
export type RecoverySettings = Config['recovery'];
export type AuthSettings = Config['auth'];
