/** Starts and talks to server-child.ts: our IMAP server over a snapshot store, in its own process. */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoreSettings } from '../snapshots/store/store.js';
import type { ChildReply } from './server-child.js';

export interface OurServer {
  port: number;
  pid: number;
  memory(): Promise<{ rss: number; heapUsed: number; connections: number }>;
  stop(): Promise<void>;
}

/** `store`: more store settings (PostgreSQL, S3) beside the path; `name` tells several servers' config files apart. */
export async function startOurServer(options: { dir: string; storePath: string; upstreamHost: string; upstreamPort: number; store?: Partial<StoreSettings>; name?: string }): Promise<OurServer> {
  const configFile = join(options.dir, `${options.name ?? 'server'}-config.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      upstream: { host: options.upstreamHost, port: options.upstreamPort, tls: 'none' },
      store: { path: options.storePath, ...options.store },
      // Loopback only; thousands of idle connections from one address are the point of one test.
      server: { host: '127.0.0.1', port: 0, allowPlaintextAuth: true, maxConnectionsPerIp: 100000, maxConnections: 100000 },
      auth: { cacheSeconds: 3600, failureDelayMs: 0 },
      log: { level: 'silent' },
    }),
  );
  const script = join(dirname(fileURLToPath(import.meta.url)), 'server-child.js');
  const child: ChildProcess = fork(script, [configFile], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: Array<{ resolve: (reply: ChildReply) => void; reject: (error: Error) => void }> = [];
  child.on('message', (reply: ChildReply) => waiters.shift()?.resolve(reply));
  child.on('exit', (code) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`our server exited (code ${code})`));
  });
  const next = () => new Promise<ChildReply>((resolve, reject) => waiters.push({ resolve, reject }));
  const listening = await next();
  if (listening.type !== 'listening') throw new Error('our server did not report its port');
  return {
    port: listening.port,
    pid: child.pid!,
    async memory() {
      const pending = next();
      child.send({ type: 'memory' });
      const reply = await pending;
      if (reply.type !== 'memory') throw new Error('unexpected reply from our server');
      return reply;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}
