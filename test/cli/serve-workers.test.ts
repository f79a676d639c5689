/**
 * `mtm serve` with `server.workers: 2`: IMAP served by two worker processes sharing the listening
 * socket, while the limits that protect the server — failed logins here — still count for the
 * server as a whole; /metrics adds the workers up; a worker killed is replaced; SIGTERM stops all.
 * Real processes against the test Dovecot; which process served what is read from the log lines,
 * each of which carries the pid of the process that wrote it.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { addDays, dayIn } from '../../src/snapshots/day-label.js';
import { validateConfig } from '../../src/config/load.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { liveClient, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const ACCOUNT = 'serve-workers';
const PASSWORD = 'workers-pw-5531';
const DAY = addDays(dayIn(validateConfig({}).snapshot.timezone), -1);

let dir: string;
let serve: ChildProcess;
let log = '';
let imapPort: number;
let httpPort: number;

interface LogLine {
  pid: number;
  msg: string;
  [field: string]: unknown;
}

function lines(): LogLine[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function until(what: () => boolean, description: string): Promise<void> {
  for (let i = 0; i < 900 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!what()) throw new Error(`timed out waiting for ${description}; log:\n${log.slice(-3000)}`);
}

function workerPids(): number[] {
  const announced = lines().filter((line) => line.msg === 'IMAP served by worker processes' || line.msg === 'IMAP worker replaced');
  return announced[announced.length - 1].pids as number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, PASSWORD);
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', [generateMessage(1, 3), generateMessage(2, 3)]);
  await live.logout();
  dir = tempDir('serve-workers');
  imapPort = await freePort();
  httpPort = await freePort();
  const config = writeConfig(dir, [ACCOUNT], {
    snapshot: { schedule: '0 0 1 1 *' },
    server: { port: imapPort, allowPlaintextAuth: true, workers: 2 },
    http: { host: '127.0.0.1', port: httpPort },
    auth: { failureDelayMs: 0 },
    log: { level: 'debug' },
  });
  expect((await runMtm(['snapshot', '-c', config, '--label', DAY])).code).toBe(0);
  serve = startMtm(['serve', '-c', config]);
  serve.stderr!.on('data', (chunk) => (log += chunk));
  await until(() => /mtm: IMAP on .* by 2 worker processes/.test(log), 'the server to listen');
}, 60_000);

afterAll(async () => {
  if (serve && serve.exitCode === null && serve.signalCode === null) {
    const closed = new Promise((resolve) => serve.on('close', resolve));
    serve.kill('SIGTERM');
    await closed;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('connections are served by more than one worker process, none of them the primary', async () => {
  const before = lines().length;
  const clients = await Promise.all(Array.from({ length: 8 }, () => RawImap.connect('127.0.0.1', imapPort)));
  for (const client of clients) expect(client.greeting.toString()).toMatch(/^\* OK/);
  // A worker reads the store: log in and open the day's INBOX on two connections.
  for (const client of clients.slice(0, 2)) {
    await client.login(`${ACCOUNT}#${DAY}`, PASSWORD);
    expect((await client.command('EXAMINE INBOX')).toString()).toMatch(/\* 2 EXISTS[\s\S]*OK \[READ-ONLY\]/);
  }
  await Promise.all(clients.map((client) => client.close()));
  const opened = lines().slice(before).filter((line) => line.msg === 'connection opened');
  expect(opened).toHaveLength(8);
  const servedBy = new Set(opened.map((line) => line.pid));
  expect(servedBy.size).toBe(2);
  expect([...servedBy].sort()).toEqual([...workerPids()].sort());
  expect(servedBy.has(serve.pid!)).toBe(false);
});

test('failed logins spread over both workers lock the account out as in one process', async () => {
  const before = lines().length;
  // The default limit: 10 failures of one account from one address. Each guess on a new connection.
  for (let i = 0; i < 10; i++) {
    const client = await RawImap.connect('127.0.0.1', imapPort);
    expect((await client.command(`LOGIN ${ACCOUNT} wrong-${i}`)).toString()).toMatch(/^A1 NO \[AUTHENTICATIONFAILED\]/m);
    await client.close();
  }
  const refusals = lines().slice(before).filter((line) => line.msg === 'Login refused: live server rejected the password');
  expect(refusals).toHaveLength(10);
  // Each worker saw only some of them: counted per worker, neither would have reached 10.
  expect(new Set(refusals.map((line) => line.pid)).size).toBe(2);
  const client = await RawImap.connect('127.0.0.1', imapPort);
  expect((await client.command(`LOGIN ${ACCOUNT} ${PASSWORD}`)).toString()).toMatch(/^A1 NO \[LIMIT\]/m);
  await client.close();
});

test('/metrics adds up the workers: every failed login is counted once', async () => {
  const body = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  expect(body).toMatch(/^mtm_logins_total\{result="failed"\} 10$/m);
  expect(body).toMatch(/^mtm_logins_total\{result="ok"\} 2$/m);
});

test('a worker killed is replaced, and the server answers all along', async () => {
  const [victim, survivor] = workerPids();
  process.kill(victim, 'SIGKILL');
  const died = (): LogLine | undefined => lines().find((line) => line.msg === 'IMAP worker died; starting a new one');
  await until(() => died() !== undefined, 'the primary to notice');
  expect(died()).toMatchObject({ pid: serve.pid, workerPid: victim, signal: 'SIGKILL' });
  // The survivor serves while the replacement starts (a connection handed to the victim in the
  // instant it was killed may be lost with it: hence after the primary knows).
  const during = await RawImap.connect('127.0.0.1', imapPort);
  expect(during.greeting.toString()).toMatch(/^\* OK/);
  await during.close();
  await until(() => lines().some((line) => line.msg === 'IMAP worker replaced'), 'a replacement worker');
  const now = workerPids();
  expect(now).toHaveLength(2);
  expect(now).toContain(survivor);
  expect(now).not.toContain(victim);
  const before = lines().length;
  const clients = await Promise.all(Array.from({ length: 6 }, () => RawImap.connect('127.0.0.1', imapPort)));
  await Promise.all(clients.map((client) => client.close()));
  const servedBy = new Set(lines().slice(before).filter((line) => line.msg === 'connection opened').map((line) => line.pid));
  expect([...servedBy].sort()).toEqual([...now].sort());
});

test('SIGTERM to the primary stops every process', async () => {
  const pids = workerPids();
  const open = await RawImap.connect('127.0.0.1', imapPort);
  const closed = new Promise<{ code: number | null }>((resolve) => serve.on('close', (code) => resolve({ code })));
  serve.kill('SIGTERM');
  expect(await closed).toEqual({ code: 0 });
  // The open session was told, not cut off.
  expect((await open.command('NOOP').catch((error: Error) => Buffer.from(error.message))).toString()).toMatch(/BYE|closed/i);
  for (const pid of pids) expect(alive(pid)).toBe(false);
});
