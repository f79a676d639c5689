/**
 * A private Dovecot on a loopback port, with its own config, passwd-file users and a master user.
 * Used by the tests, `npm run demo` and the bench. Runs as root with the unprivileged
 * dovenull/dovecot/mtm-mail users, or entirely as the invoking user when not root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, appendFileSync, writeFileSync, chownSync, chmodSync, rmSync, openSync, closeSync, renameSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
const MAIL_USER = 'mtm-mail';

export interface DovecotTestbed {
  host: string;
  port: number;
  root: string;
  masterUser: string;
  masterPassword: string;
}

export interface StartOptions {
  root?: string;
  port?: number;
  masterUser?: string;
  masterPassword?: string;
  /** Dovecot quota rule for every user, e.g. "100M"; "0" = unlimited. */
  quota?: string;
  /**
   * Keep Dovecot's per-address penalty after failed logins (up to 15 s per attempt), as production
   * servers have it. Off by default: tests send wrong passwords from one address on purpose.
   */
  authPenalty?: boolean;
}

/** The listener the shared config turns off (mode 0) to disable the penalty; 0600 is Dovecot's default. */
const PENALTY_OFF = /(unix_listener anvil-auth-penalty \{\s*mode = )0(\s)/;

function projectRoot(): string {
  // src/testbed or dist/testbed → project root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function dovecotInstalled(): boolean {
  return existsSync(DOVECOT_BINARY);
}

/** Installs Debian's dovecot-imapd when missing and we are root; otherwise explains how. */
export function ensureDovecotInstalled(): void {
  if (dovecotInstalled()) return;
  if (process.getuid?.() !== 0) {
    throw new Error('Dovecot is not installed. Run: sudo apt-get install -y dovecot-imapd');
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'dovecot-imapd'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function ensureMailUser(): { uid: number; gid: number } {
  const lookup = spawnSync('id', ['-u', MAIL_USER]);
  if (lookup.status !== 0) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', MAIL_USER]);
  }
  const uid = Number(execFileSync('id', ['-u', MAIL_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', MAIL_USER]).toString().trim());
  return { uid, gid };
}

export async function startDovecot(options: StartOptions = {}): Promise<DovecotTestbed> {
  ensureDovecotInstalled();
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'mtm-dovecot-'));
  const port = options.port ?? (await freePort());
  const host = '127.0.0.1';
  const masterUser = options.masterUser ?? 'mtm-master';
  const masterPassword = options.masterPassword ?? 'master-secret-pw';
  const isRoot = process.getuid?.() === 0;
  const self = userInfo().username;
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  for (const dir of ['run', 'state', 'mail', 'home']) mkdirSync(join(root, dir), { recursive: true });
  let loginUser = self;
  let internalUser = self;
  let mailUser = self;
  let mailGroup = String(process.getgid?.() ?? '');
  if (isRoot) {
    const ids = ensureMailUser();
    loginUser = 'dovenull';
    internalUser = 'dovecot';
    mailUser = MAIL_USER;
    mailGroup = MAIL_USER;
    for (const dir of ['mail', 'home']) chownSync(join(root, dir), ids.uid, ids.gid);
  }
  const template = readFileSync(join(projectRoot(), 'config', 'dovecot', 'dovecot.conf'), 'utf8');
  let config = template
    .replaceAll('@@ROOT@@', root)
    .replaceAll('@@HOST@@', host)
    .replaceAll('@@PORT@@', String(port))
    .replaceAll('@@LOGIN_USER@@', loginUser)
    .replaceAll('@@INTERNAL_USER@@', internalUser)
    .replaceAll('@@MAIL_USER@@', mailUser)
    .replaceAll('@@MAIL_GROUP@@', mailGroup)
    .replaceAll('@@QUOTA@@', options.quota ?? '0');
  if (options.authPenalty) {
    if (!PENALTY_OFF.test(config)) throw new Error('config/dovecot/dovecot.conf no longer turns the auth penalty off where expected');
    config = config.replace(PENALTY_OFF, '$10600$2');
  }
  writeFileSync(join(root, 'dovecot.conf'), config);
  writeFileSync(join(root, 'master-users'), `${masterUser}:{PLAIN}${masterPassword}::::::\n`, { mode: 0o644 });
  if (!existsSync(join(root, 'users'))) writeFileSync(join(root, 'users'), '', { mode: 0o644 });
  // The daemon inherits stdio: give it a file, not a pipe, or we would wait for its exit.
  const startupLog = openSync(join(root, 'startup.log'), 'w');
  const started = spawnSync(DOVECOT_BINARY, ['-c', join(root, 'dovecot.conf')], { stdio: ['ignore', startupLog, startupLog] });
  closeSync(startupLog);
  if (started.status !== 0) {
    const said = readFileSync(join(root, 'startup.log'), 'utf8').trim();
    throw new Error(`Dovecot did not start (${DOVECOT_BINARY} -c ${join(root, 'dovecot.conf')}): ${said || `exit status ${started.status}`}; see ${join(root, 'dovecot.log')}`);
  }
  try {
    await waitForGreeting(host, port);
  } catch (error) {
    let log = '';
    try {
      log = readFileSync(join(root, 'dovecot.log'), 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      // no log yet
    }
    throw new Error(`${(error as Error).message}; Dovecot's log (${join(root, 'dovecot.log')}) ends with:\n${log || '(nothing)'}`);
  }
  return { host, port, root, masterUser, masterPassword };
}

export function stopDovecot(testbed: Pick<DovecotTestbed, 'root'>): void {
  const config = join(testbed.root, 'dovecot.conf');
  if (!existsSync(config)) return;
  spawnSync(DOVECOT_BINARY, ['-c', config, 'stop'], { stdio: 'ignore' });
}

export function removeTestbed(testbed: Pick<DovecotTestbed, 'root'>): void {
  stopDovecot(testbed);
  rmSync(testbed.root, { recursive: true, force: true });
}

/**
 * Runs `change` while holding a lock file: test workers add users to one passwd-file at the same
 * time, and a read-modify-write without it loses some of their lines.
 */
function withFileLock(lock: string, change: () => void): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A holder that died leaves its lock behind; one older than the deadline is stale.
      if (Date.now() > deadline) rmSync(lock, { force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    change();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Adds (or replaces the password of) a mail account. The file is replaced by a rename, so Dovecot,
 * which rereads it when it changes, never sees it half-written.
 */
export function addUser(testbed: Pick<DovecotTestbed, 'root'>, user: string, password: string): void {
  const file = join(testbed.root, 'users');
  withFileLock(`${file}.lock`, () => {
    const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line && !line.startsWith(`${user}:`));
    lines.push(`${user}:{PLAIN}${password}::::::`);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${lines.join('\n')}\n`, { mode: 0o644 });
    // Dovecot notices a changed passwd-file by its mtime, in whole seconds, checked at most once a
    // second: give every version its own second, then let that second pass before the caller logs in.
    const previous = Math.floor(statSync(file).mtimeMs / 1000);
    const stamp = Math.max(Math.floor(Date.now() / 1000), previous + 1);
    utimesSync(temporary, stamp, stamp);
    renameSync(temporary, file);
  });
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
}

export function setMasterPassword(testbed: Pick<DovecotTestbed, 'root'>, masterUser: string, password: string): void {
  appendFileSync(join(testbed.root, 'master-users'), '');
  writeFileSync(join(testbed.root, 'master-users'), `${masterUser}:{PLAIN}${password}::::::\n`);
}

async function waitForGreeting(host: string, port: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 15000;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect(port, host);
      socket.once('data', (chunk) => {
        socket.destroy();
        done(chunk.toString().startsWith('* OK'));
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Dovecot did not answer on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The testbed started by jest's global setup, as seen from a test worker. */
export function testbedFromEnv(): DovecotTestbed {
  const root = process.env.MTM_TEST_DOVECOT_ROOT;
  const port = Number(process.env.MTM_TEST_DOVECOT_PORT);
  if (!root || !port) throw new Error('The Dovecot testbed is not running (jest global setup did not start it)');
  return {
    host: '127.0.0.1',
    port,
    root,
    masterUser: process.env.MTM_TEST_DOVECOT_MASTER ?? 'mtm-master',
    masterPassword: process.env.MTM_TEST_DOVECOT_MASTER_PASSWORD ?? 'master-secret-pw',
  };
}
