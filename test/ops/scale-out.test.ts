/**
 * Issue 14 acceptance: three `mtm serve` processes (the real dist/cli/main.js, stand-ins for three
 * machines behind a TCP load balancer) on one PostgreSQL, one S3-protocol server (s3rver) and one
 * Redis, each with its own ports and local scratch directory.
 *
 * - The start-up runs of all three split today's 30 accounts through the Redis claims; one
 *   instance is killed with SIGKILL while it holds accounts mid-snapshot. What it was writing
 *   never shows as a day, and the scheduled run of a survivor completes the day: each account
 *   ends with exactly one capture for today.
 * - Every instance (the killed one restarted) serves every account byte-identically, and the same
 *   bytes as the live server: no instance serves a stale view of what another wrote.
 * - A restore submitted through instance A's HTTP API runs exactly once (one "restore done", one
 *   confirmation email) and is followed to its end through instance B.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { dayIn } from '../../src/snapshots/day-label.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/postgres.js';
import { createTestBucket, type TestBucket } from '../fixtures/s3.js';
import { liveClient, liveMessages, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { RawImap, untagged } from '../fixtures/raw-imap.js';
import { deleteUids, liveEntries, notices } from '../recovery/helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379/0';
const ACCOUNTS = Array.from({ length: 30 }, (_, i) => `scale-${String(i).padStart(2, '0')}`);
const passwordOf = (account: string): string => `${account}-live-pw-5521`;
const FOLDERS = [
  { folder: 'INBOX', count: 10 },
  { folder: 'Archive', count: 5 },
];

interface Instance {
  name: string;
  config: string;
  imapPort: number;
  httpPort: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr (its JSON log lines and start-up notes). */
  log: () => string;
  exited: Promise<void>;
}

let root: string;
let database: TestDatabase;
let bucket: TestBucket;
let redis: Redis;
let catalog: pg.Pool;
const keyPrefix = `mtm-scale-${randomUUID()}`;
const running: Instance[] = [];
let today: string;

async function configFor(name: string): Promise<{ config: string; imapPort: number; httpPort: number }> {
  const dir = join(root, name);
  mkdirSync(dir);
  const imapPort = await freePort();
  const httpPort = await freePort();
  const config = writeConfig(dir, ACCOUNTS, {
    // Every minute: a survivor's scheduled run is what completes the day after the kill.
    snapshot: { schedule: '* * * * *', concurrency: 2 },
    store: { path: join(dir, 'scratch'), postgres: { url: database.url }, s3: { ...bucket.settings } },
    redis: { url: REDIS_URL, keyPrefix },
    server: { host: '127.0.0.1', port: imapPort, allowPlaintextAuth: true },
    http: { host: '127.0.0.1', port: httpPort },
  });
  return { config, imapPort, httpPort };
}

function start(name: string, ports: { config: string; imapPort: number; httpPort: number }): Instance {
  const child = startMtm(['serve', '-c', ports.config]);
  let log = '';
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  const instance = { name, ...ports, child, log: () => log, exited };
  running.push(instance);
  return instance;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function listening(instance: Instance): Promise<void> {
  let gone = false;
  void instance.exited.then(() => (gone = true));
  await until(`${instance.name} to listen`, () => gone || /IMAP on/.test(instance.log()), 60_000);
  expect({ name: instance.name, exited: gone }).toEqual({ name: instance.name, exited: false });
}

/** JSON log lines of an instance with the given message. */
function logged(instance: Instance, message: string): Record<string, unknown>[] {
  return instance
    .log()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === message);
}

/** Captures of today per account in the shared catalog, by status. */
async function capturesToday(): Promise<{ account: string; status: string; captures: number }[]> {
  const { rows } = await catalog.query(
    `SELECT a.name AS account, c.status, count(*)::int AS captures FROM captures c JOIN accounts a ON a.id = c.account_id
     WHERE c.label = $1 GROUP BY a.name, c.status ORDER BY a.name, c.status`,
    [today],
  );
  return rows as { account: string; status: string; captures: number }[];
}

async function committedToday(): Promise<string[]> {
  return (await capturesToday()).filter((row) => row.status === 'committed').map((row) => row.account);
}

/** Lock keys of today's claims and who holds them (`<host>:<pid>:<uuid>`). */
async function claimLocks(): Promise<Map<string, string>> {
  const locks = new Map<string, string>();
  for (const key of await redis.keys(`${keyPrefix}:snapshot:${today}:*:lock`)) {
    const holder = await redis.get(key);
    if (holder !== null) locks.set(key.split(':').at(-2)!, holder);
  }
  return locks;
}

/** The untagged bytes of SELECT and of FETCH BODY.PEEK[] of every message of a snapshot folder, through one instance. */
async function servedFolder(instance: Instance, account: string, folder: string): Promise<{ select: Buffer; fetch: Buffer }> {
  const imap = await RawImap.connect('127.0.0.1', instance.imapPort);
  try {
    await imap.login(account, passwordOf(account));
    const select = await imap.command(`EXAMINE "Snapshots/${today}/${folder}"`);
    expect(select.toString('latin1')).toMatch(/\r\nA\d+ OK /);
    const fetch = await imap.command('UID FETCH 1:* (UID BODY.PEEK[])');
    expect(fetch.toString('latin1')).toMatch(/\r\nA\d+ OK /);
    return { select: untagged(select), fetch: untagged(fetch) };
  } finally {
    await imap.close();
  }
}

async function stopAll(): Promise<void> {
  for (const instance of running.splice(0)) {
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGTERM');
    await Promise.race([instance.exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
  }
}

beforeAll(async () => {
  root = tempDir('scale-out');
  today = dayIn(validateConfig({}).snapshot.timezone);
  database = await createTestDatabase();
  bucket = await createTestBucket('s3rver', 'scale');
  redis = new Redis(REDIS_URL);
  catalog = new pg.Pool({ connectionString: database.url, max: 2 });
  const testbed = testbedFromEnv();
  for (const [index, account] of ACCOUNTS.entries()) {
    addUser(testbed, account, passwordOf(account));
    const live = await liveClient(account);
    try {
      for (const [position, { folder, count }] of FOLDERS.entries()) {
        const messages = Array.from({ length: count }, (_, i) => generateMessage(i + position * 100, 700 + index, { minBytes: 2000, maxBytes: 40_000 }));
        await appendAll(live, folder, messages, (i) => (i % 3 === 0 ? ['\\Seen'] : []), (i) => new Date(Date.UTC(2026, 5, 1 + i, 8)));
      }
    } finally {
      await live.logout();
    }
  }
}, 240_000);

afterAll(async () => {
  await stopAll();
  await catalog?.end();
  if (redis) {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
  await bucket?.remove().catch(() => undefined);
  await database?.drop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

test('three instances: each account snapshotted once for the day despite a SIGKILL mid-run, served byte-identically by all, a restore runs once', async () => {
  const ports = { A: await configFor('a'), B: await configFor('b'), C: await configFor('c') };
  // Started together: each start-up run finds all 30 accounts missing for today and claims what it can.
  const a = start('A', ports.A);
  const b = start('B', ports.B);
  const c = start('C', ports.C);
  await Promise.all([a, b, c].map(listening));

  // C is killed once it has committed an account and holds another mid-snapshot.
  const cHolder = `${hostname()}:${c.child.pid}:`;
  await until('C to commit one account and hold another', async () => logged(c, 'snapshot committed').length > 0 && [...(await claimLocks()).values()].some((holder) => holder.startsWith(cHolder)), 120_000);
  c.child.kill('SIGKILL');
  await c.exited;
  const killedMidSnapshot = [...(await claimLocks())].filter(([, holder]) => holder.startsWith(cHolder)).map(([account]) => account);
  expect(killedMidSnapshot.length).toBeGreaterThan(0);
  const committedByC = logged(c, 'snapshot committed').map((entry) => entry.account as string);
  expect(committedByC.length).toBeGreaterThan(0);

  // No partial day: what C was writing is not a day anywhere, until another instance takes it over.
  for (const account of killedMidSnapshot) {
    if ((await committedToday()).includes(account)) continue; // already taken over and completed
    const list = await runMtm(['list', '-c', ports.A.config, '--account', account, '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { day: string }[]).map((day) => day.day)).not.toContain(today);
    // The survivors look now, before the day is completed; later (below) they must not serve this answer from memory.
    for (const instance of [a, b]) {
      const imap = await RawImap.connect('127.0.0.1', instance.imapPort);
      const login = (await imap.command(`LOGIN ${account} ${passwordOf(account)}`)).toString('latin1');
      await imap.close();
      expect(login).toMatch(/^A\d+ NO \[AUTHENTICATIONFAILED\] No snapshots of this account exist yet/m);
    }
  }

  // The dead holder's locks expire (60 s) and the next scheduled run of A or B completes the day.
  await until('all 30 accounts committed for today', async () => (await committedToday()).length === ACCOUNTS.length, 240_000);
  // Exactly once: no account has a second capture for the day (that would supersede the first) or a leftover one.
  expect(await capturesToday()).toEqual(ACCOUNTS.map((account) => ({ account, status: 'committed', captures: 1 })));
  const committedBySurvivors = [a, b].flatMap((instance) => logged(instance, 'snapshot committed').map((entry) => entry.account as string));
  // No account committed by two instances. C's last log lines may be lost with it (SIGKILL), so an
  // account it committed just before may be named by nobody; it was still committed once (above).
  const named = [...committedByC, ...committedBySurvivors];
  expect(new Set(named).size).toBe(named.length);
  expect(ACCOUNTS.filter((account) => !named.includes(account)).length).toBeLessThanOrEqual(2);
  for (const account of killedMidSnapshot) expect(committedBySurvivors).toContain(account);
  for (const account of ACCOUNTS) expect(await redis.exists(`${keyPrefix}:snapshot:${today}:${account}:done`)).toBe(1);

  // C comes back (a fresh process, nothing cached); every instance serves every account, same bytes.
  const cAgain = start('C again', ports.C);
  await listening(cAgain);
  for (const account of ACCOUNTS) {
    const live = await liveClient(account);
    const expected = new Map<string, Buffer[]>();
    try {
      for (const { folder } of FOLDERS) expected.set(folder, (await liveMessages(live, folder, true)).map((message) => message.source!));
    } finally {
      await live.logout();
    }
    for (const { folder } of FOLDERS) {
      const served = [await servedFolder(a, account, folder), await servedFolder(b, account, folder), await servedFolder(cAgain, account, folder)];
      expect(served[1].select.equals(served[0].select) && served[2].select.equals(served[0].select)).toBe(true);
      expect(served[1].fetch.equals(served[0].fetch)).toBe(true);
      expect(served[2].fetch.equals(served[0].fetch)).toBe(true);
      const sources = expected.get(folder)!;
      expect(served[0].fetch.toString('latin1').match(/^\* \d+ FETCH /gm)).toHaveLength(sources.length);
      for (const source of sources) expect(served[0].fetch.includes(source)).toBe(true);
    }
  }

  // A restore submitted through A runs once and is followed to its end through B.
  const account = ACCOUNTS[7];
  const live = await liveClient(account);
  try {
    const before = await liveEntries(live, 'INBOX');
    await deleteUids(live, 'INBOX', before.slice(2, 5).map((entry) => entry.uid));
    expect(await liveEntries(live, 'INBOX')).toHaveLength(before.length - 3);
    const headers = { authorization: `Basic ${Buffer.from(`${account}:${passwordOf(account)}`).toString('base64')}`, 'content-type': 'application/json' };
    const api = (instance: Instance, rest: string) => `http://127.0.0.1:${instance.httpPort}/api/v1/accounts/${account}${rest}`;
    const submitted = await fetch(api(a, '/restores'), { method: 'POST', headers, body: JSON.stringify({ day: today, folder: 'INBOX', mode: 'merge' }) });
    const accepted = (await submitted.json()) as { jobId: string; statusUrl: string };
    expect(submitted.status).toBe(202);
    const status = await until(
      'the restore to finish, seen from B',
      async () => {
        const reply = (await (await fetch(`http://127.0.0.1:${b.httpPort}${accepted.statusUrl}`, { headers })).json()) as { status: string };
        return ['done', 'failed', 'interrupted'].includes(reply.status) ? reply : undefined;
      },
      120_000,
    );
    expect(status).toMatchObject({ id: accepted.jobId, status: 'done', result: { restored: 3, alreadyPresent: before.length - 3, failed: 0 } });
    const listedOnB = (await (await fetch(api(b, '/restores'), { headers })).json()) as { restores: { id: string; status: string }[] };
    expect(listedOnB.restores).toContainEqual(expect.objectContaining({ id: accepted.jobId, status: 'done' }));
    expect((await liveEntries(live, 'INBOX')).map((entry) => entry.key).sort()).toEqual(before.map((entry) => entry.key).sort());
    // Once: one instance ran it, and the account got one confirmation.
    const ran = [a, b, cAgain].flatMap((instance) => logged(instance, 'restore done').filter((entry) => entry.jobId === accepted.jobId).map(() => instance.name));
    expect(ran).toHaveLength(1);
    expect((await notices(live)).filter((notice) => notice.raw.includes(accepted.jobId))).toHaveLength(1);
  } finally {
    await live.logout();
  }
}, 600_000);
