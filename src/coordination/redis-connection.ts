/**
 * One way to open a Redis connection for coordination and health: fail fast rather than queue, so
 * a Redis outage shows up as an error the caller decides about instead of a hang.
 */
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** Queue commands while (re)connecting; off for probes that must answer "down" at once. */
  queueWhileConnecting?: boolean;
  /** 0: no per-command timer (a short-lived caller with its own timeout; the timer would delay exit). */
  commandTimeoutMs?: number;
}

export function openRedis(url: string, options: RedisConnectionOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    commandTimeout: options.commandTimeoutMs === 0 ? undefined : (options.commandTimeoutMs ?? 5000),
    enableOfflineQueue: options.queueWhileConnecting ?? true,
    // Reconnect forever but not in a tight loop: Redis may be restarted under a running service.
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    // ioredis arms this timer even for a socket that is already gone; it would hold the process.
    disconnectTimeout: 200,
  });
}

export async function closeRedis(redis: Redis): Promise<void> {
  // QUIT would only wait in the offline queue of a connection that is down.
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  } catch {
    // Already closed or never connected.
  }
  redis.disconnect();
}

/** A URL for logs and messages: the password, if any, is replaced. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return 'redis (unparsable URL)';
  }
}
