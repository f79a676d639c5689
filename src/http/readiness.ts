/**
 * What `/readyz` checks: the store takes writes, the live server greets (logins and the nightly run
 * need it), and Redis answers when configured. A load balancer stops sending clients to an
 * instance that is not ready; an orchestrator does not restart it for that (that is /healthz).
 */
import type { Redis } from 'ioredis';
import type { RedisSettings, UpstreamSettings } from '../config/settings.js';
import { closeRedis, openRedis } from '../coordination/index.js';
import { probeLiveServer, probeRedis } from '../doctor/index.js';
import type { Store } from '../snapshots/store/store.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Readiness {
  check(): Promise<{ ready: boolean; checks: ReadinessCheck[] }>;
  close(): Promise<void>;
}

/** What readiness reads: the live server to probe, and Redis when configured. */
export interface ReadinessSettings {
  upstream: UpstreamSettings;
  redis: RedisSettings;
}

export function createReadiness(config: ReadinessSettings, store: Pick<Store, 'probe'>): Readiness {
  // One long-lived connection: a probe every few seconds should not open and close one each time.
  // Commands queue while it (re)connects; the probe gives up after its own timeout either way.
  let redis: Redis | null = null;
  if (config.redis.url) {
    redis = openRedis(config.redis.url, { queueWhileConnecting: true, commandTimeoutMs: 2000 });
    redis.on('error', () => undefined);
  }
  const timeoutMs = Math.min(config.upstream.timeoutSeconds * 1000, 5000);
  return {
    async check() {
      const pending: Promise<ReadinessCheck | ReadinessCheck[]>[] = [
        store.probe().then((probes) => probes.map(({ part, ok, detail }) => ({ name: part, ok, detail }))),
        probeLiveServer(config.upstream, timeoutMs).then((result) => ({ name: 'live server', ...result })),
      ];
      if (redis) pending.push(probeRedis(redis, 2000).then((result) => ({ name: 'redis', ...result })));
      const checks = (await Promise.all(pending)).flat();
      return { ready: checks.every((check) => check.ok), checks };
    },
    async close() {
      if (redis) await closeRedis(redis);
    },
  };
}
