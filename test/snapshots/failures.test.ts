/**
 * Issue 2 acceptance: a failed snapshot says which account failed and why, exits ≠ 0, writes
 * nothing visible, leaves earlier days intact, stops no other account, and never prints a password.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { liveClient, mtmJson, runMtm, startMtm, tempDir, writeConfig, type MtmRun } from '../fixtures/mtm.js';
import { startTcpRelay } from '../fixtures/tcp-relay.js';

const GINA = 'failures-gina';
const HANK = 'failures-hank';
const GINA_PW = 'gina-live-pw-7731';
const HANK_PW = 'hank-live-pw-9902';
const DAY1 = '2026-07-01';
const DAY2 = '2026-07-02';

interface DayJson { day: string; messages: number }
interface MessageJson { uid: number; flags: string[]; sha256: string }

const testbed = testbedFromEnv();
let root: string;
let store: string;
let good: string;
let day1Inbox: MessageJson[];

/** A config in a directory of its own, sharing the one store. */
function configWith(name: string, accounts: string[], overrides: Record<string, Record<string, unknown>> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return writeConfig(dir, accounts, { ...overrides, store: { path: store } });
}

function expectNoSecrets(run: MtmRun, ...secrets: string[]): void {
  for (const secret of [testbed.masterPassword, GINA_PW, HANK_PW, ...secrets]) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
  }
}

async function expectDay1Intact(): Promise<void> {
  const days = await mtmJson<DayJson[]>(['list', '-c', good, '--account', GINA]);
  expect(days.map((d) => d.day)).toEqual([DAY1]);
  expect(await mtmJson<MessageJson[]>(['list', '-c', good, '--account', GINA, '--day', DAY1, '--folder', 'INBOX'])).toEqual(day1Inbox);
  const verify = await runMtm(['verify', '-c', good]);
  expect(verify.code).toBe(0);
}

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeAll(async () => {
  addUser(testbed, GINA, GINA_PW);
  addUser(testbed, HANK, HANK_PW);
  for (const [account, seed] of [[GINA, 61], [HANK, 62]] as const) {
    const live = await liveClient(account);
    await appendAll(live, 'INBOX', Array.from({ length: 12 }, (_, i) => generateMessage(i, seed)));
    await live.logout();
  }
  root = tempDir('failures');
  store = join(root, 'store');
  good = configWith('good', [GINA]);
  const run = await runMtm(['snapshot', '-c', good, '--label', DAY1]);
  expect(run.code).toBe(0);
  day1Inbox = await mtmJson<MessageJson[]>(['list', '-c', good, '--account', GINA, '--day', DAY1, '--folder', 'INBOX']);
  expect(day1Inbox).toHaveLength(12);
}, 120000);

test('upstream down: exit ≠ 0, the account and "cannot reach" named, nothing written', async () => {
  const port = await freePort();
  const config = configWith('down', [GINA], { upstream: { host: '127.0.0.1', port, tls: 'none', timeoutSeconds: 5 } });
  const run = await runMtm(['snapshot', '-c', config, '--label', DAY2]);
  expect(run.code).not.toBe(0);
  const output = run.stdout + run.stderr;
  expect(output).toMatch(new RegExp(`${GINA}: cannot reach the live server 127\\.0\\.0\\.1:${port}`));
  expect(run.stdout).toContain(`0 of 1 accounts snapshotted for ${DAY2}`);
  expectNoSecrets(run);
  await expectDay1Intact();
});

test('wrong master password: exit ≠ 0, the account and the refused login named, nothing written', async () => {
  const config = configWith('badmaster', [GINA], {
    snapshot: { auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: 'not-the-master-pw-4417' } },
  });
  const run = await runMtm(['snapshot', '-c', config, '--label', DAY2]);
  expect(run.code).not.toBe(0);
  expect(run.stdout + run.stderr).toMatch(new RegExp(`${GINA}: .*refused the login`));
  expectNoSecrets(run, 'not-the-master-pw-4417');
  await expectDay1Intact();
});

test('stuck upstream: the snapshot fails after upstream.timeoutSeconds of silence, naming the server and the timeout', async () => {
  const relay = await startTcpRelay({ host: testbed.host, port: testbed.port });
  try {
    const config = configWith('stuck', [GINA], { upstream: { host: '127.0.0.1', port: relay.port, tls: 'none', timeoutSeconds: 2 } });
    // Frozen mid-snapshot: logged in and listed, then the live server stops answering.
    const frozen = relay.freezeOn(/^\S+ (EXAMINE|SELECT) /i);
    const started = Date.now();
    const child = startMtm(['snapshot', '-c', config, '--label', DAY2]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    // Before the fix imapflow waited 5 minutes whatever the config said; a minute is a failure.
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(killer);
    await frozen;
    const seconds = (Date.now() - started) / 1000;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(seconds).toBeLessThan(30);
    expect(stdout + stderr).toMatch(new RegExp(`${GINA}: the live server 127\\.0\\.0\\.1:${relay.port} timed out`));
    expect(stdout).toContain(`0 of 1 accounts snapshotted for ${DAY2}`);
    expectNoSecrets({ code, signal: null, stdout, stderr });
  } finally {
    await relay.close();
  }
  await expectDay1Intact();
}, 90000);

test('one account failing does not stop another: it gets its snapshot, and the exit code is ≠ 0', async () => {
  const accountsFile = join(root, 'accounts.txt');
  writeFileSync(accountsFile, `# user password\n${GINA} ${GINA_PW}\n${HANK} wrong-hank-pw-5150\n`);
  const config = configWith('accounts', [], { snapshot: { accounts: [], accountsFile, auth: { mode: 'accounts' } } });
  const run = await runMtm(['snapshot', '-c', config, '--label', DAY2]);
  expect(run.code).not.toBe(0);
  expect(run.stdout).toMatch(new RegExp(`✓ ${GINA} ${DAY2}: 1 folders, 12 messages`));
  expect(run.stdout + run.stderr).toMatch(new RegExp(`${HANK}: .*refused the login`));
  expect(run.stdout).toContain(`1 of 2 accounts snapshotted for ${DAY2}`);
  expectNoSecrets(run, 'wrong-hank-pw-5150');

  const gina = await mtmJson<DayJson[]>(['list', '-c', good, '--account', GINA]);
  expect(gina.map((d) => [d.day, d.messages])).toEqual([[DAY1, 12], [DAY2, 12]]);
  expect(await mtmJson<DayJson[]>(['list', '-c', good, '--account', HANK])).toEqual([]);
  expect((await runMtm(['verify', '-c', good])).code).toBe(0);
});
