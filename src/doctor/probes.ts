/**
 * Small probes of the things mtm depends on, shared by `/readyz` and `mtm doctor`. Each answers
 * with a verdict and a sentence; none throws, and none ever puts a password in its sentence.
 */
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import type { Redis } from 'ioredis';
import type { UpstreamSettings } from '../config/settings.js';
import { closeRedis, describeRedisUrl, openRedis } from '../coordination/redis-connection.js';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

function reasonOf(error: unknown): string {
  const failure = error as NodeJS.ErrnoException;
  return (failure.code && NETWORK_REASONS[failure.code]) || failure.message || String(error);
}

/** Connects to the live IMAP server and reads its greeting (`* OK` or `* PREAUTH`). */
export function probeLiveServer(upstream: UpstreamSettings, timeoutMs = 5000): Promise<ProbeResult> {
  const where = `${upstream.host}:${upstream.port}`;
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket;
    let received = '';
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `no greeting from ${where} within ${timeoutMs / 1000} s` }), timeoutMs);
    socket =
      upstream.tls === 'implicit'
        ? tls.connect({ host: upstream.host, port: upstream.port, servername: net.isIP(upstream.host) ? undefined : upstream.host, rejectUnauthorized: upstream.rejectUnauthorized })
        : net.connect({ host: upstream.host, port: upstream.port });
    socket.on('error', (error) => finish({ ok: false, detail: `cannot reach ${where} (${reasonOf(error)})` }));
    socket.on('close', () => finish({ ok: false, detail: `${where} closed the connection before greeting` }));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\n');
      if (end < 0 && received.length < 1024) return;
      const line = received.slice(0, end < 0 ? undefined : end).trim();
      if (/^\* (OK|PREAUTH)\b/i.test(line)) finish({ ok: true, detail: `${where} greets: ${line.slice(0, 80)}` });
      else finish({ ok: false, detail: `${where} answered "${line.slice(0, 80)}" instead of an IMAP greeting` });
    });
  });
}

/** PING over an existing connection (readiness) or a fresh one (doctor). */
export async function probeRedis(target: string | Redis, timeoutMs = 3000): Promise<ProbeResult> {
  const redis = typeof target === 'string' ? openRedis(target, { queueWhileConnecting: true, commandTimeoutMs: 0 }) : target;
  const where = typeof target === 'string' ? describeRedisUrl(target) : 'Redis';
  // ioredis rejects the command with a generic message; the connection error says why.
  let connectionError: unknown;
  if (typeof target === 'string') redis.on('error', (error) => (connectionError = error));
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    return answer === 'PONG' ? { ok: true, detail: `${where} answers PING` } : { ok: false, detail: `${where} answered ${String(answer)} to PING` };
  } catch (error) {
    return { ok: false, detail: `cannot reach ${where} (${reasonOf(connectionError ?? error)})` };
  } finally {
    clearTimeout(timer);
    if (typeof target === 'string') await closeRedis(redis);
  }
}
