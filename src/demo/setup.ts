/**
 * `npm run demo`: a private Dovecot with account demo/demo and a few dozen varied messages, three
 * snapshot days that differ (yesterday's mail arrives, some gets deleted, flags change), and the
 * IMAP server on 127.0.0.1:1143 in front of it.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { addDays, dayIn, type DayLabel } from '../snapshots/day-label.js';
import { configuredAccounts } from '../upstream/index.js';
import { runSnapshots } from '../snapshots/snapshotter/run.js';
import { openStore, type Store } from '../snapshots/store/store.js';
import { appendAll, buildCorpus, generateMessage } from '../testbed/corpus.js';
import { addUser, freePort, startDovecot, stopDovecot, type DovecotTestbed } from '../testbed/dovecot.js';

export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'demo';

export interface DemoOptions {
  root?: string;
  imapPort?: number;
  httpPort?: number;
  logger: Logger;
}

export interface Demo {
  config: Config;
  configFile: string;
  testbed: DovecotTestbed;
  store: Store;
  days: DayLabel[];
  stop(): void;
}

/** Whether every directory from `dir` up to `/` lets other users through (the x bit for others). */
function traversableByEveryone(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(current) === current) return true;
  }
}

/**
 * Dovecot's auth and mail processes run as the users `dovecot` and `mtm-mail` when the demo runs as
 * root, and cannot read files under a private (0700) directory such as root's home or a
 * `mktemp -d`. So Dovecot's files live in a directory of their own under a temporary directory
 * everyone can reach, never inside the project.
 */
function dovecotRootDir(): string {
  const bases = [...new Set([tmpdir(), '/var/tmp', '/tmp'])];
  const base = bases.find(traversableByEveryone);
  if (!base) {
    throw new Error(`none of ${bases.join(', ')} can be entered by other users, so Dovecot's own processes could not read the demo's files; set TMPDIR to a directory that everyone can enter (chmod o+x on it and its parents)`);
  }
  const dir = mkdtempSync(join(base, 'mtm-demo-dovecot-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Stops and removes the Dovecot an earlier demo run left behind (killed without Ctrl-C). */
function stopEarlierDovecot(root: string): void {
  const legacy = join(root, 'dovecot');
  if (existsSync(join(legacy, 'dovecot.conf'))) stopDovecot({ root: legacy });
  const pointer = join(root, 'dovecot-root');
  if (!existsSync(pointer)) return;
  const earlier = readFileSync(pointer, 'utf8').trim();
  if (earlier && existsSync(join(earlier, 'dovecot.conf'))) {
    stopDovecot({ root: earlier });
    rmSync(earlier, { recursive: true, force: true });
  }
}

/** What the demo's Dovecot logged lately: the reason behind a refused login is there. */
function dovecotLogTail(testbed: DovecotTestbed): string {
  try {
    return readFileSync(join(testbed.root, 'dovecot.log'), 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}

async function seed(testbed: DovecotTestbed, step: 0 | 1 | 2): Promise<void> {
  const client = new ImapFlow({
    host: testbed.host, port: testbed.port, secure: false, logger: false,
    auth: { user: DEMO_USER, pass: DEMO_PASSWORD },
  });
  try {
    await client.connect();
  } catch (error) {
    const detail = (error as { responseText?: string }).responseText ?? (error as Error).message;
    throw new Error(
      `the demo's Dovecot (${testbed.root}) refused the login ${DEMO_USER}/${DEMO_PASSWORD}: ${detail}. ` +
        `Its auth process must be able to read ${join(testbed.root, 'users')}. Dovecot's log says:\n${dovecotLogTail(testbed)}`,
    );
  }
  try {
    if (step === 0) {
      const varied = buildCorpus({ count: 40, seed: 42 });
      await appendAll(client, 'INBOX', varied.slice(0, 20), (i) => (i % 3 === 0 ? [] : ['\\Seen']));
      await appendAll(client, 'Sent', varied.slice(20, 28), () => ['\\Seen']);
      await appendAll(client, 'Archive/2025', varied.slice(28, 36), () => ['\\Seen']);
      await appendAll(client, 'Projekte/Übersicht', varied.slice(36, 40), (i) => (i === 0 ? ['\\Flagged', '\\Seen'] : ['\\Seen']));
      await client.mailboxCreate('Leer').catch(() => undefined);
      for (const folder of ['Sent', 'Archive/2025', 'Projekte/Übersicht', 'Leer']) await client.mailboxSubscribe(folder);
    } else {
      await appendAll(client, 'INBOX', Array.from({ length: 4 }, (_, i) => generateMessage(100 * step + i, 42, { maxBytes: 6000 })));
      await client.mailboxOpen('INBOX');
      await client.messageDelete(step === 1 ? '1:2' : '3', { uid: true });
      await client.messageFlagsAdd(step === 1 ? '5' : '6', ['\\Flagged'], { uid: true });
      await client.mailboxClose();
      if (step === 2) await client.mailboxDelete('Leer');
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

export async function setupDemo(options: DemoOptions): Promise<Demo> {
  const root = resolve(options.root ?? '.demo');
  stopEarlierDovecot(root);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const dovecotRoot = dovecotRootDir();
  writeFileSync(join(root, 'dovecot-root'), `${dovecotRoot}\n`);
  const removeDovecot = (): void => {
    stopDovecot({ root: dovecotRoot });
    rmSync(dovecotRoot, { recursive: true, force: true });
    rmSync(join(root, 'dovecot-root'), { force: true });
  };
  let testbed: DovecotTestbed;
  try {
    testbed = await startDovecot({ root: dovecotRoot, masterUser: 'demo-master', masterPassword: 'demo-master-secret' });
  } catch (error) {
    removeDovecot();
    throw error;
  }
  try {
    addUser(testbed, DEMO_USER, DEMO_PASSWORD);
    const raw = {
      upstream: { host: testbed.host, port: testbed.port, tls: 'none' },
      snapshot: { accounts: [DEMO_USER], auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: testbed.masterPassword } },
      store: { path: join(root, 'store') },
      server: { host: '127.0.0.1', port: options.imapPort ?? 1143, allowPlaintextAuth: true },
      http: { host: '127.0.0.1', port: options.httpPort ?? 8025 },
      auth: { failureDelayMs: 500 },
    };
    const config = validateConfig(raw, 'demo config');
    const configFile = join(root, 'mtm.yaml');
    writeFileSync(configFile, stringify(raw));
    const store = await openStore(config.store);
    const today = dayIn(config.snapshot.timezone);
    const days = [addDays(today, -2), addDays(today, -1), today];
    for (const [step, day] of days.entries()) {
      await seed(testbed, step as 0 | 1 | 2);
      const outcomes = await runSnapshots({ config, store, accounts: configuredAccounts(config.snapshot), day, logger: options.logger });
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed && !failed.ok) throw new Error(`demo snapshot of ${day} failed: ${failed.error}`);
    }
    return { config, configFile, testbed, store, days, stop: removeDovecot };
  } catch (error) {
    removeDovecot();
    throw error;
  }
}
