/**
 * Issue 11, item 4: `npm run demo` from a clone of the project inside a private (0700) directory —
 * a root user's home, any `mktemp -d`. Dovecot's auth and mail processes run as other users, so
 * the demo must keep Dovecot's files where they can reach them. The demo prints a day login that
 * exists; both logins work; Ctrl-C stops everything.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort } from '../../src/testbed/dovecot.js';

const PROJECT = resolve('.');
/** Not copied: installed or built things, and the demo's own state. */
const SKIP = new Set(['node_modules', '.git', 'dist', '.demo', 'coverage']);

let privateDir: string;
let demo: ChildProcess | undefined;
let output = '';

beforeAll(() => {
  privateDir = mkdtempSync(join(tmpdir(), 'mtm-private-'));
  expect(statSync(privateDir).mode & 0o777).toBe(0o700);
});

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    process.kill(-demo.pid!, 'SIGINT');
    await new Promise((resolve) => demo!.once('exit', resolve));
  }
  rmSync(privateDir, { recursive: true, force: true });
});

async function waitFor(pattern: RegExp, child: ChildProcess, deadlineMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const match = pattern.exec(output);
    if (match) return match;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the demo exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the demo did not print ${pattern} in time:\n${output}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

async function login(port: number, user: string): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, logger: false, auth: { user, pass: 'demo' } });
  await client.connect();
  try {
    return (await client.list()).map((entry) => entry.path);
  } finally {
    await client.logout();
  }
}

test('npm run demo works from a clone of the project inside a 0700 directory', async () => {
  const clone = join(privateDir, 'home', basename(PROJECT));
  // A clone holds exactly what a newcomer gets (committed files only); outside a git checkout, a copy.
  if (existsSync(join(PROJECT, '.git'))) execFileSync('git', ['clone', '--quiet', '--no-hardlinks', PROJECT, clone], { stdio: 'ignore' });
  else cpSync(PROJECT, clone, { recursive: true, filter: (source) => !SKIP.has(basename(source)) || source === PROJECT });
  symlinkSync(join(PROJECT, 'node_modules'), join(clone, 'node_modules'));
  const imapPort = await freePort();
  const httpPort = await freePort();
  demo = spawn('npm', ['run', '--silent', 'demo'], {
    cwd: clone,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MTM_DEMO_IMAP_PORT: String(imapPort), MTM_DEMO_HTTP_PORT: String(httpPort) },
  });
  demo.stdout!.on('data', (chunk) => (output += chunk));
  demo.stderr!.on('data', (chunk) => (output += chunk));
  const running = await waitFor(/IMAP server: +127\.0\.0\.1:(\d+)/, demo, 150_000);
  expect(Number(running[1])).toBe(imapPort);
  // The day login the demo prints is one that exists.
  const [, dayLogin, day] = await waitFor(/One day only: +(demo#(\d{4}-\d{2}-\d{2}))/, demo, 5_000);
  const all = await login(imapPort, 'demo');
  expect(all).toContain(`Snapshots/${day}/INBOX`);
  const oneDay = await login(imapPort, dayLogin);
  expect(oneDay).toContain('INBOX');
  expect(oneDay.some((path) => path.startsWith('Snapshots'))).toBe(false);
  // Ctrl-C stops the server and the demo's Dovecot, and removes Dovecot's files.
  const dovecotRoot = /Live server: .*\(files in (\S+)\)/.exec(output)?.[1];
  expect(dovecotRoot).toBeDefined();
  // (npm itself dies of the SIGINT, as at a terminal; the demo's node process cleans up after it.)
  process.kill(-demo.pid!, 'SIGINT');
  await new Promise((resolveExit) => demo!.once('exit', resolveExit));
  const deadline = Date.now() + 30_000;
  while (existsSync(dovecotRoot!) && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  expect({ dovecotFilesLeft: existsSync(dovecotRoot!), output: /demo: /.test(output) ? output : '' }).toEqual({ dovecotFilesLeft: false, output: '' });
}, 240_000);
