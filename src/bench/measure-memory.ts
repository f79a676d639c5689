/**
 * Memory per idle connection: RSS of the server before and after `count` logged-in, idle
 * connections (nothing selected), plain and after COMPRESS=DEFLATE. Ours is one process; Dovecot's
 * is the sum over its processes (master, login, one imap process per session, auth …).
 */
import type { DovecotTestbed } from '../testbed/dovecot.js';
import { BENCH_PASSWORD } from './account.js';
import { BenchImapClient } from './imap-client.js';
import { openMany } from './measure-serving.js';
import type { OurServer } from './our-server.js';
import { dovecotMemory } from './peers.js';

export interface IdleMeasure {
  connections: number;
  baseRss: number;
  loadedRss: number;
  perConnectionBytes: number;
  /** Dovecot only: proportional set size, which counts shared library pages once. */
  perConnectionPssBytes?: number;
  /** Whether the server accepted COMPRESS (when asked for). */
  compressed: boolean;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `count` sessions, `parallel` logins at a time; each optionally turns on COMPRESS. */
async function openIdle(host: string, port: number, user: string, count: number, compress: boolean): Promise<{ clients: BenchImapClient[]; compressed: boolean }> {
  let compressed = compress;
  const clients = await openMany(count, async () => {
    const client = await BenchImapClient.connect(host, port);
    await client.login(user, BENCH_PASSWORD);
    // After COMPRESS the bench never speaks again on this connection, so it needs no zlib itself.
    if (compress && (await client.send('COMPRESS DEFLATE')).status !== 'OK') compressed = false;
    return client;
  });
  return { clients, compressed };
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !(await check())) await pause(200);
}

/** Opens and drops a few sessions so one-time costs (modules, caches, login processes) are in the baseline. */
async function warmUp(host: string, port: number, user: string, settled: () => Promise<boolean> | boolean): Promise<void> {
  const { clients } = await openIdle(host, port, user, 8, false);
  for (const client of clients) client.destroy();
  await waitUntil(settled, 30000);
  await pause(500);
}

/**
 * Median RSS of a few samples after a full collection: one sample moves by a megabyte or two as the
 * allocator returns pages, which is a kilobyte per connection at 2,000 connections.
 */
async function settledRss(server: OurServer): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push((await server.memory()).rss);
    await pause(300);
  }
  return samples.sort((a, b) => a - b)[2];
}

/** Run on a freshly started server process: a long-lived heap would shrink or grow for other reasons. */
export async function measureOurIdle(server: OurServer, user: string, count: number, compress: boolean): Promise<IdleMeasure> {
  const settled = async () => (await server.memory()).connections === 0;
  await warmUp('127.0.0.1', server.port, user, settled);
  const base = { rss: await settledRss(server) };
  const { clients, compressed } = await openIdle('127.0.0.1', server.port, user, count, compress);
  await pause(1000);
  const loaded = { rss: await settledRss(server) };
  for (const client of clients) client.destroy();
  await waitUntil(settled, 30000);
  return { connections: count, baseRss: base.rss, loadedRss: loaded.rss, perConnectionBytes: (loaded.rss - base.rss) / count, compressed };
}

export async function measureDovecotIdle(testbed: DovecotTestbed, count: number, compress: boolean): Promise<IdleMeasure> {
  const imapProcesses = () => dovecotMemory(testbed).processes;
  const resting = imapProcesses();
  const settled = () => imapProcesses() <= resting;
  await warmUp(testbed.host, testbed.port, 'bench', settled);
  const base = dovecotMemory(testbed);
  const { clients, compressed } = await openIdle(testbed.host, testbed.port, 'bench', count, compress);
  await pause(1000);
  const loaded = dovecotMemory(testbed);
  for (const client of clients) client.destroy();
  await waitUntil(() => imapProcesses() <= base.processes, 60000);
  return {
    connections: count,
    baseRss: base.rss,
    loadedRss: loaded.rss,
    perConnectionBytes: (loaded.rss - base.rss) / count,
    perConnectionPssBytes: (loaded.pss - base.pss) / count,
    compressed,
  };
}
