/**
 * Issue 10 item 7: a read-only or full store does not take the server down. Real `mtm` processes
 * run in a private mount namespace over a read-only bind mount of a store, or over a store on a
 * tiny tmpfs (root ignores file modes, so mounts are the only honest way to make either).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { liveClient, liveMessages, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { canMountHere, startMountNamespace, type MountNamespace } from '../fixtures/mount-namespace.js';
import { RawImap } from '../fixtures/raw-imap.js';

const testbed = testbedFromEnv();
const DAY1 = '2026-09-01';
const DAY2 = '2026-09-02';
const FIRST = 15;

interface DayJson { day: string; messages: number }

// Without a mount namespace there is no honest read-only or full store to test: fail, never skip.
if (!canMountHere()) throw new Error('store-faults needs a private mount namespace (unshare --mount, as root, or a user namespace); this machine allows neither');

let root: string;
const namespaces: MountNamespace[] = [];

afterAll(() => {
  for (const ns of namespaces) ns.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeAll(() => {
  root = tempDir('store-faults');
});

async function seed(account: string, password: string, count: number, seedNumber: number): Promise<void> {
  addUser(testbed, account, password);
  const live = await liveClient(account);
  try {
    await appendAll(live, 'INBOX', Array.from({ length: count }, (_, i) => generateMessage(i, seedNumber)));
  } finally {
    await live.logout();
  }
}

async function setup(name: string, account: string): Promise<{ dir: string; store: string; config: string; port: number; httpPort: number }> {
  const dir = join(root, name);
  mkdirSync(dir);
  const port = await freePort();
  const httpPort = await freePort();
  const config = writeConfig(dir, [account], {
    snapshot: { fetchBatchSize: 10, schedule: '0 0 1 1 *' },
    server: { host: '127.0.0.1', port, allowPlaintextAuth: true },
    http: { host: '127.0.0.1', port: httpPort },
  });
  return { dir, store: join(dir, 'store'), config, port, httpPort };
}

/** The recovery API as the account: GET the days, POST a restore. */
async function httpApi(httpPort: number, account: string, password: string): Promise<{ days: number; restore: { status: number; text: string } }> {
  const headers = { authorization: `Basic ${Buffer.from(`${account}:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  const base = `http://127.0.0.1:${httpPort}/api/v1/accounts/${encodeURIComponent(account)}`;
  const days = await fetch(`${base}/days`, { headers });
  const restore = await fetch(`${base}/restores`, { method: 'POST', headers, body: JSON.stringify({ day: DAY1, folder: 'INBOX' }) });
  return { days: days.status, restore: { status: restore.status, text: await restore.text() } };
}

/** `mtm serve` inside the namespace, once it listens; its output so far. */
async function startServe(ns: MountNamespace, config: string): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = ns.startMtm(['serve', '-c', config]);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  let running = true;
  void exited.then(() => (running = false));
  const deadline = Date.now() + 30_000;
  while (running && !/IMAP on/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect({ running, output: /IMAP on/.test(output) ? 'listening' : output }).toEqual({ running: true, output: 'listening' });
  return { child, output: () => output, exited };
}

/** Logs in through mtm, reads day 1's INBOX byte for byte, and asks for a restore. */
async function serveDay1(port: number, account: string, password: string): Promise<{ copy: string }> {
  const live = await liveClient(account);
  const expected = (await liveMessages(live, 'INBOX', true)).slice(0, FIRST);
  await live.logout();
  const imap = await RawImap.connect('127.0.0.1', port);
  try {
    await imap.login(account, password);
    const select = (await imap.command(`SELECT "Snapshots/${DAY1}/INBOX"`)).toString();
    expect(select).toContain(`* ${FIRST} EXISTS`);
    expect(select).toMatch(/OK \[READ-ONLY\]/);
    const fetched = await imap.command('UID FETCH ' + expected[0].uid + ' BODY.PEEK[]');
    expect(fetched.includes(expected[0].source!)).toBe(true);
    expect(fetched.toString('latin1')).toMatch(/\r\nA\d+ OK /);
    const copy = (await imap.command('COPY 1 Restore')).toString();
    return { copy };
  } finally {
    await imap.close();
  }
}

describe('a store that cannot be written', () => {
  test('read-only store: list, verify, export and serve work; snapshots and restores are refused, naming the cause', async () => {
    const account = 'faults-ivy';
    const password = 'ivy-live-pw-3318';
    await seed(account, password, FIRST, 71);
    const { store, config, port, httpPort } = await setup('readonly', account);
    expect((await runMtm(['snapshot', '-c', config, '--label', DAY1])).code).toBe(0);

    const ns = await startMountNamespace();
    namespaces.push(ns);
    ns.sh(`mount --bind '${store}' '${store}' && mount -o remount,bind,ro '${store}'`);
    // Even root cannot write there now.
    expect(() => ns.sh(`touch '${store}/probe'`)).toThrow(/Read-only file system/);

    const list = await ns.runMtm(['list', '-c', config, '--account', account, '--json']);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(list.stdout) as DayJson[]).map((d) => [d.day, d.messages])).toEqual([[DAY1, FIRST]]);
    const verify = await ns.runMtm(['verify', '-c', config]);
    expect(verify.stdout).toContain(`${account}: ${FIRST} blobs checked, 0 damaged`);
    expect(verify.code).toBe(0);
    const exported = await ns.runMtm(['export', '-c', config, '--account', account, '--day', DAY1, '--folder', 'INBOX', '--format', 'mbox']);
    expect(exported.code).toBe(0);
    expect(exported.stdout.match(/^From /gm)).toHaveLength(FIRST);

    const snapshot = await ns.runMtm(['snapshot', '-c', config, '--label', DAY2]);
    expect(snapshot.code).not.toBe(0);
    expect(snapshot.stdout + snapshot.stderr).toMatch(new RegExp(`the store ${store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is read-only`));

    const serve = await startServe(ns, config);
    try {
      expect(serve.output()).toMatch(/is read-only .*serving read-only/);
      const { copy } = await serveDay1(port, account, password);
      expect(copy).toMatch(/^A\d+ NO .*the snapshot store is read-only/m);
      const http = await httpApi(httpPort, account, password);
      expect(http.days).toBe(200);
      expect(http.restore.status).toBe(503);
      expect(http.restore.text).toContain('the snapshot store is read-only');
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);
    ns.close();
  }, 120000);

  test('full disk: the snapshot fails naming the store and ENOSPC, day 1 stays whole and served, and no blob file is left unaccounted for', async () => {
    const account = 'faults-jack';
    const password = 'jack-live-pw-6620';
    await seed(account, password, FIRST, 72);
    const { store, config, port } = await setup('full', account);
    const ns = await startMountNamespace();
    namespaces.push(ns);
    mkdirSync(store);
    ns.sh(`mount -t tmpfs -o size=1m tmpfs '${store}'`);
    const day1 = await ns.runMtm(['snapshot', '-c', config, '--label', DAY1]);
    expect({ code: day1.code, stderr: day1.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    // Then far more mail arrives than the store has room for.
    const live = await liveClient(account);
    try {
      await appendAll(live, 'INBOX', Array.from({ length: 100 }, (_, i) => generateMessage(FIRST + i, 72, { minBytes: 40_000, maxBytes: 60_000 })));
    } finally {
      await live.logout();
    }
    const full = await ns.runMtm(['snapshot', '-c', config, '--label', DAY2]);
    expect(full.code).not.toBe(0);
    expect(full.stdout + full.stderr).toMatch(new RegExp(`${account}: FAILED — the store ${store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is full \\(ENOSPC`));
    expect(full.stdout).toContain(`0 of 1 accounts snapshotted for ${DAY2}`);
    expect(ns.sh(`df -k '${store}' | tail -1`)).toMatch(/ 100% /);
    // No half-written temporaries.
    expect(ns.sh(`find '${store}/blobs' -name '*.tmp'`)).toBe('');

    // Day 1 is whole, and readable on the full disk.
    const list = await ns.runMtm(['list', '-c', config, '--account', account, '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as DayJson[]).map((d) => [d.day, d.messages])).toEqual([[DAY1, FIRST]]);
    const verify = await ns.runMtm(['verify', '-c', config]);
    expect(verify.stdout).toContain(`${account}: ${FIRST} blobs checked, 0 damaged`);
    expect(verify.code).toBe(0);
    const serve = await startServe(ns, config);
    try {
      const { copy } = await serveDay1(port, account, password);
      expect(copy).toMatch(/^A\d+ NO .*the snapshot store is (full|read-only)/m);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited).toBe(0);

    // Every blob file the failed run left is known to the catalog: a prune with room again (and no
    // run in progress) leaves exactly day 1's.
    ns.sh(`mount -o remount,size=64m '${store}'`);
    const prune = await ns.runMtm(['prune', '-c', config, '--today', DAY2]);
    expect({ code: prune.code, stderr: prune.stderr }).toEqual({ code: 0, stderr: '' });
    expect(Number(ns.sh(`find '${store}/blobs' -type f | wc -l`).trim())).toBe(FIRST);

    // And the next run, with room, completes the day.
    const rerun = await ns.runMtm(['snapshot', '-c', config, '--label', DAY2]);
    expect(rerun.code).toBe(0);
    const after = await ns.runMtm(['list', '-c', config, '--account', account, '--json']);
    expect((JSON.parse(after.stdout) as DayJson[]).map((d) => [d.day, d.messages])).toEqual([[DAY1, FIRST], [DAY2, FIRST + 100]]);
    ns.close();
  }, 180000);
});
