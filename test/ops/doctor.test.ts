/**
 * Issue 6: `mtm doctor` (the built executable) against the real Dovecot and Redis: all green on a
 * good config, and for each broken dependency it names exactly the failing check, with a fix,
 * exits ≠ 0, and never prints a password.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { runMtm, tempDir, writeConfig, type MtmRun } from '../fixtures/mtm.js';

const ACCOUNT = 'ops-doctor-alice';
const WRONG_MASTER_PASSWORD = 'ops-doctor-wrong-master-pw';

interface Check {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

let dir: string;

beforeAll(() => {
  addUser(testbedFromEnv(), ACCOUNT, 'ops-doctor-pw');
  dir = tempDir('ops-doctor');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let configs = 0;
function config(overrides: Record<string, Record<string, unknown>> = {}): string {
  const sub = join(dir, `case-${++configs}`);
  execFileSync('mkdir', ['-p', sub]);
  return writeConfig(sub, [ACCOUNT], overrides);
}

async function doctor(file: string): Promise<{ run: MtmRun; checks: Check[] }> {
  const run = await runMtm(['doctor', '-c', file, '--json']);
  if (!run.stdout.startsWith('[')) throw new Error(`mtm doctor printed no checks (exit ${run.code}): ${run.stderr}`);
  return { run, checks: JSON.parse(run.stdout) as Check[] };
}

function statuses(checks: Check[]): Record<string, string> {
  return Object.fromEntries(checks.map((check) => [check.name, check.status]));
}

const ALL_GOOD = {
  config: 'pass',
  'live server': 'pass',
  'master-user impersonation': 'pass',
  'store permissions': 'pass',
  'store free space': 'pass',
  'store catalog': 'pass',
};

test('a working setup passes every check, with ✓ marks, and exits 0', async () => {
  const file = config({ redis: { url: 'redis://127.0.0.1:6379/0' } });
  const { run, checks } = await doctor(file);
  expect(run.code).toBe(0);
  expect(statuses(checks)).toEqual({ ...ALL_GOOD, redis: 'pass', tls: 'skip' });
  const text = await runMtm(['doctor', '-c', file]);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`✓ master-user impersonation: ${testbedFromEnv().masterUser} can log in as ${ACCOUNT}`);
  expect(text.stdout).toContain('All checks passed.');
  expect(text.stdout).not.toContain(testbedFromEnv().masterPassword);
});

test('wrong master password: the impersonation check fails with a fix, and the password is not printed', async () => {
  const testbed = testbedFromEnv();
  const file = config({ snapshot: { auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: WRONG_MASTER_PASSWORD } } });
  const { run, checks } = await doctor(file);
  expect(run.code).toBe(1);
  expect(statuses(checks)).toEqual({ ...ALL_GOOD, 'master-user impersonation': 'fail', redis: 'skip', tls: 'skip' });
  expect(checks.find((check) => check.name === 'master-user impersonation')!.fix).toContain('snapshot.auth.masterUser/masterPassword');
  const text = await runMtm(['doctor', '-c', file]);
  expect(text.code).toBe(1);
  expect(text.stdout).toMatch(/^✗ master-user impersonation: .*refused the login/m);
  expect(text.stdout).toMatch(/^ {4}fix: /m);
  expect(text.stdout + text.stderr).not.toContain(WRONG_MASTER_PASSWORD);
});

test('unreachable live server: the live server check fails and impersonation is skipped', async () => {
  const port = await freePort();
  const { run, checks } = await doctor(config({ upstream: { port } }));
  expect(run.code).toBe(1);
  expect(statuses(checks)).toEqual({ ...ALL_GOOD, 'live server': 'fail', 'master-user impersonation': 'skip', redis: 'skip', tls: 'skip' });
  expect(checks[1].detail).toBe(`cannot reach 127.0.0.1:${port} (connection refused)`);
  expect(checks[1].fix).toContain('upstream.host');
});

test('store path that cannot be written (under a regular file): store permissions fail', async () => {
  const blocker = join(dir, 'not-a-directory');
  writeFileSync(blocker, 'a file where the store path needs a directory\n');
  const { run, checks } = await doctor(config({ store: { path: join(blocker, 'store') } }));
  expect(run.code).toBe(1);
  expect(statuses(checks)).toEqual({ ...ALL_GOOD, 'store permissions': 'fail', 'store free space': 'skip', redis: 'skip', tls: 'skip' });
  expect(checks.find((check) => check.name === 'store permissions')!.detail).toContain('not a directory');
});

test('store path on a read-only file system (/proc): store permissions fail', async () => {
  const { run, checks } = await doctor(config({ store: { path: '/proc/mtm-store' } }));
  expect(run.code).toBe(1);
  expect(statuses(checks)['store permissions']).toBe('fail');
});

test('unreachable Redis: the redis check fails', async () => {
  const port = await freePort();
  const { run, checks } = await doctor(config({ redis: { url: `redis://127.0.0.1:${port}/0` } }));
  expect(run.code).toBe(1);
  expect(statuses(checks)).toEqual({ ...ALL_GOOD, redis: 'fail', tls: 'skip' });
  expect(checks.find((check) => check.name === 'redis')!.detail).toContain('connection refused');
});

test('an invalid config fails the config check naming the key, and nothing else runs', async () => {
  const file = config({ upstream: { port: 'not-a-port' } });
  const { run, checks } = await doctor(file);
  expect(run.code).toBe(1);
  expect(checks.map((check) => [check.name, check.status])).toEqual([['config', 'fail']]);
  expect(checks[0].detail).toContain('upstream.port');
});

describe('TLS files', () => {
  function certificate(name: string, days: number): { key: string; cert: string } {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.crt`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', String(days), '-subj', '/CN=snapshots.example.org'], { stdio: 'ignore' });
    return { key, cert };
  }

  test('a valid certificate and its key pass', async () => {
    const { checks } = await doctor(config({ server: { tls: certificate('good', 365) } }));
    const tls = checks.find((check) => check.name === 'tls')!;
    expect(tls.status).toBe('pass');
    expect(tls.detail).toContain('snapshots.example.org');
  });

  test('a certificate about to expire, a key that does not match, and a missing file each fail', async () => {
    const soon = await doctor(config({ server: { tls: certificate('soon', 3) } }));
    expect(soon.run.code).toBe(1);
    expect(soon.checks.find((check) => check.name === 'tls')!.detail).toMatch(/expires in [23] day/);

    const other = certificate('other', 365);
    const mismatch = await doctor(config({ server: { tls: { key: other.key, cert: certificate('good2', 365).cert } } }));
    expect(mismatch.checks.find((check) => check.name === 'tls')!.detail).toContain('is not the key of');

    const missing = await doctor(config({ server: { tls: { key: join(dir, 'none.key'), cert: join(dir, 'none.crt') } } }));
    expect(missing.checks.find((check) => check.name === 'tls')).toMatchObject({ status: 'fail', detail: expect.stringContaining('ENOENT') });
  });
});
