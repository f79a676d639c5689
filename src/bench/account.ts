/**
 * The bench account: N generated messages written straight into Dovecot's Maildir++ directory
 * (APPENDing 100,000 messages over IMAP would take longer than the bench itself), then indexed by
 * Dovecot on first access; and the daily churn: new mail delivered into INBOX/new as a local
 * delivery agent would, deletions and flag changes over IMAP.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { generateMessage, seededRandom } from '../testbed/corpus.js';
import type { DovecotTestbed } from '../testbed/dovecot.js';
import { BenchImapClient, fetchCounter } from './imap-client.js';
import { msSince } from './stats.js';

export const BENCH_USER = 'bench';
export const BENCH_PASSWORD = 'bench-password';
const MAIL_USER = 'mtm-mail';

/** Folders and their share of the messages; "Empty" stays empty. INBOX is the biggest. */
export const FOLDER_SHARES: Array<{ name: string; share: number }> = [
  { name: 'INBOX', share: 0.55 },
  { name: 'Archive', share: 0.2 },
  { name: 'Sent', share: 0.15 },
  { name: 'Lists/dev', share: 0.08 },
  { name: 'Drafts', share: 0.01 },
  { name: 'Trash', share: 0.01 },
  { name: 'Empty', share: 0 },
];

/** Share of messages carrying a 100 KB – 5 MB attachment. */
const LARGE_SHARE = 0.01;
const SEED = 7;

/**
 * What differs between the generated accounts: the bench account (one big mailbox) and the
 * provider-night accounts (many small ones). Writing, indexing and churn work on any of them.
 */
export interface AccountShape {
  user: string;
  password: string;
  folders: Array<{ name: string; share: number }>;
  /** The account's index-th message (churn asks for indexes past the written ones). */
  message(index: number): Buffer;
  folderOf(index: number): string;
}

export interface GeneratedAccount {
  messages: number;
  /** Sum of message sizes (what a client downloads). */
  rawBytes: number;
  perFolder: Record<string, number>;
  largeMessages: number;
  /** How the mail got there, for the report. */
  method: string;
  writeSeconds: number;
}

/** The folder a roll in [0, 1) lands in, by the folders' shares. */
function folderByShare(folders: AccountShape['folders'], roll: number): string {
  for (const folder of folders) {
    if (roll < folder.share) return folder.name;
    roll -= folder.share;
  }
  return 'INBOX';
}

/** Same folder for runs of 50 consecutive messages, so threads mostly stay together. */
function folderFor(index: number): string {
  return folderByShare(FOLDER_SHARES, seededRandom(Math.floor(index / 50) * 7919 + SEED)());
}

/**
 * generateMessage adds an attachment when its second random draw is < 0.15 (and the message is
 * big enough): find a seed for which it does, so every large message is a real attachment.
 */
function attachmentSeed(index: number, from = SEED): number {
  for (let seed = from; ; seed++) {
    const rng = seededRandom((seed * 1000003) ^ (index * 2654435761));
    rng();
    if (rng() < 0.15) return seed;
  }
}

/** One bench message: mostly 2–20 KB text/HTML, 1 % with a log-uniform 100 KB – 5 MB attachment. */
export function benchMessage(index: number): Buffer {
  const rng = seededRandom(index * 31337 + SEED);
  if (rng() < LARGE_SHARE) {
    const size = Math.round(Math.exp(Math.log(100_000) + rng() * (Math.log(5_000_000) - Math.log(100_000))));
    return generateMessage(index, attachmentSeed(index), { minBytes: size, maxBytes: size });
  }
  return generateMessage(index, SEED, { minBytes: 2000, maxBytes: 20000 });
}

export const BENCH_ACCOUNT: AccountShape = { user: BENCH_USER, password: BENCH_PASSWORD, folders: FOLDER_SHARES, message: benchMessage, folderOf: folderFor };

/** A hosting provider's typical mailbox: six folders, most mail in INBOX. */
export const PROVIDER_FOLDER_SHARES: AccountShape['folders'] = [
  { name: 'INBOX', share: 0.6 },
  { name: 'Archive', share: 0.15 },
  { name: 'Sent', share: 0.12 },
  { name: 'Lists/news', share: 0.06 },
  { name: 'Trash', share: 0.05 },
  { name: 'Drafts', share: 0.02 },
];
/** Share of provider messages carrying a 100 KB – 2 MB attachment. */
const PROVIDER_LARGE_SHARE = 0.02;

/**
 * Provider account number `number`: 98 % of the messages log-uniform 0.8–7 KB as asked of the
 * generator (median ≈ 3 KB as generated), 2 % with a log-uniform 100 KB – 2 MB attachment; every
 * account its own mail (its own generator seed).
 */
export function providerAccount(number: number): AccountShape {
  const seed = 1000 + number;
  const logUniform = (roll: number, min: number, max: number) => Math.round(Math.exp(Math.log(min) + roll * (Math.log(max) - Math.log(min))));
  return {
    user: `user${String(number).padStart(4, '0')}`,
    password: `password-${number}`,
    folders: PROVIDER_FOLDER_SHARES,
    message(index) {
      const rng = seededRandom(index * 31337 + seed * 7919);
      if (rng() < PROVIDER_LARGE_SHARE) {
        const size = logUniform(rng(), 100_000, 2_000_000);
        return generateMessage(index, attachmentSeed(index, seed), { minBytes: size, maxBytes: size });
      }
      const size = logUniform(rng(), 800, 7000);
      return generateMessage(index, seed, { minBytes: size, maxBytes: size });
    },
    // Runs of 10: a 300-message account still keeps short threads together.
    folderOf: (index) => folderByShare(PROVIDER_FOLDER_SHARES, seededRandom(Math.floor(index / 10) * 104729 + seed)()),
  };
}

function flagsFor(index: number): string {
  const rng = seededRandom(index * 104729 + SEED);
  let letters = '';
  if (rng() < 0.03) letters += 'F';
  if (rng() < 0.1) letters += 'R';
  if (rng() < 0.8) letters += 'S';
  return letters; // Maildir wants them in ASCII order: D F P R S T
}

/** Size as IMAP counts it (CRLF line ends): bare LFs count twice. */
function virtualSize(message: Buffer): number {
  let bareLf = 0;
  for (let at = message.indexOf(10); at >= 0; at = message.indexOf(10, at + 1)) if (at === 0 || message[at - 1] !== 13) bareLf += 1;
  return message.length + bareLf;
}

function maildirOf(testbed: DovecotTestbed, folder: string, user = BENCH_USER): string {
  const base = join(testbed.root, 'mail', user);
  // Maildir++: INBOX is the top directory, other folders ".A.B" with "." as the on-disk separator.
  return folder === 'INBOX' ? base : join(base, `.${folder.split('/').join('.')}`);
}

/** Writes the account's Maildir (files owned by the mail user when we run as root). */
export function writeMaildir(testbed: DovecotTestbed, count: number, shape: AccountShape = BENCH_ACCOUNT): GeneratedAccount {
  const started = process.hrtime.bigint();
  const perFolder: Record<string, number> = {};
  for (const folder of shape.folders) {
    const dir = maildirOf(testbed, folder.name, shape.user);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    if (folder.name !== 'INBOX') writeFileSync(join(dir, 'maildirfolder'), '');
    perFolder[folder.name] = 0;
  }
  let rawBytes = 0;
  let largeMessages = 0;
  const baseTime = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  for (let index = 0; index < count; index++) {
    const message = shape.message(index);
    const size = virtualSize(message);
    if (message.length >= 100_000) largeMessages += 1;
    const folder = shape.folderOf(index);
    const received = baseTime + index * 600;
    const file = join(maildirOf(testbed, folder, shape.user), 'cur', `${received}.M${index}P1.bench,S=${message.length},W=${size}:2,${flagsFor(index)}`);
    writeFileSync(file, message);
    // Maildir's received date (INTERNALDATE) is the file's mtime.
    utimesSync(file, received, received);
    perFolder[folder] += 1;
    rawBytes += size;
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${MAIL_USER}:${MAIL_USER}`, join(testbed.root, 'mail', shape.user)]);
  return { messages: count, rawBytes, perFolder, largeMessages, method: 'Maildir files written directly, indexed by Dovecot on first access', writeSeconds: msSince(started) / 1000 };
}

/**
 * Apparent sizes in the account's Maildir: `messages`, the message files (the "raw mailbox" of the
 * storage ratio), and `indexes`, everything else (Dovecot's index, cache and UID list files).
 */
export function maildirUsage(testbed: DovecotTestbed, user = BENCH_USER): { messages: number; indexes: number } {
  const usage = { messages: 0, indexes: 0 };
  const walk = (dir: string, inMessages: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, entry.name === 'cur' || entry.name === 'new');
      else usage[inMessages ? 'messages' : 'indexes'] += statSync(path).size;
    }
  };
  walk(join(testbed.root, 'mail', user), false);
  return usage;
}

/** Sum of the message files' sizes in the account's Maildir (the "raw mailbox" of the storage ratio). */
export function maildirBytes(testbed: DovecotTestbed, user = BENCH_USER): number {
  return maildirUsage(testbed, user).messages;
}

export async function benchLogin(host: string, port: number, user = BENCH_USER, password = BENCH_PASSWORD): Promise<BenchImapClient> {
  const client = await BenchImapClient.connect(host, port);
  await client.login(user, password);
  return client;
}

/** Subscribes the folders and lets Dovecot build its indexes: returns the seconds that took. */
export async function indexAccount(testbed: DovecotTestbed, shape: AccountShape = BENCH_ACCOUNT): Promise<number> {
  const started = process.hrtime.bigint();
  const client = await benchLogin(testbed.host, testbed.port, shape.user, shape.password);
  try {
    for (const folder of shape.folders) {
      await client.run(`SUBSCRIBE "${folder.name}"`);
      await client.run(`EXAMINE "${folder.name}"`);
      const fetched = fetchCounter();
      await client.send('FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)', fetched.handler);
    }
  } finally {
    await client.logout();
  }
  return msSince(started) / 1000;
}

/**
 * New mail as a local delivery agent leaves it: written in tmp/, renamed into new/ (Dovecot gives
 * it a UID on its next look). APPENDing 1,000 messages a day, each fsynced by Dovecot, took longer
 * than everything else in the storage test.
 */
function deliver(testbed: DovecotTestbed, messages: Buffer[], name: string, user = BENCH_USER): void {
  const dir = maildirOf(testbed, 'INBOX', user);
  const owner = process.getuid?.() === 0 ? mailUserIds() : null;
  const now = Math.floor(Date.now() / 1000);
  messages.forEach((message, index) => {
    const file = `${now}.M${index}P${name}.bench,S=${message.length},W=${virtualSize(message)}`;
    writeFileSync(join(dir, 'tmp', file), message);
    if (owner) chownSync(join(dir, 'tmp', file), owner.uid, owner.gid);
    renameSync(join(dir, 'tmp', file), join(dir, 'new', file));
  });
}

let mailUser: { uid: number; gid: number } | undefined;

function mailUserIds(): { uid: number; gid: number } {
  mailUser ??= {
    uid: Number(execFileSync('id', ['-u', MAIL_USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', MAIL_USER], { encoding: 'utf8' }).trim()),
  };
  return mailUser;
}

/**
 * `total` split in proportion to `shares`, in whole numbers that add up to `total` (largest
 * remainder): 3 changes over a 300-message account still reach more than INBOX.
 */
function apportion(total: number, shares: number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((share) => (total * share) / sum);
  const whole = exact.map(Math.floor);
  const byRemainder = exact.map((value, index) => ({ index, remainder: value - whole[index] })).sort((a, b) => b.remainder - a.remainder);
  for (let left = total - whole.reduce((a, b) => a + b, 0), at = 0; left > 0; left--, at++) whole[byRemainder[at].index] += 1;
  return whole;
}

/**
 * One day of churn on the live account: `share` of the account's messages arrive in INBOX, as
 * many are deleted and as many re-flagged (over IMAP), spread over the folders.
 */
export async function churnDay(
  testbed: DovecotTestbed,
  totalMessages: number,
  day: number,
  share = 0.01,
  shape: AccountShape = BENCH_ACCOUNT,
): Promise<{ added: number; deleted: number; reflagged: number }> {
  const changes = Math.max(1, Math.round(totalMessages * share));
  const rng = seededRandom(day * 65537 + SEED);
  deliver(testbed, Array.from({ length: changes }, (_, i) => shape.message(totalMessages + day * changes + i)), `day${day}`, shape.user);
  const client = await benchLogin(testbed.host, testbed.port, shape.user, shape.password);
  try {
    let deleted = 0;
    let reflagged = 0;
    const folders = shape.folders.filter((folder) => folder.share > 0);
    const quotas = apportion(changes, folders.map((folder) => folder.share));
    for (const [position, folder] of folders.entries()) {
      const uids: number[] = [];
      await client.run(`SELECT "${folder.name}"`);
      await client.run('UID FETCH 1:* (UID)', (head) => {
        const uid = /UID (\d+)/i.exec(head);
        if (uid) uids.push(Number(uid[1]));
      });
      const quota = quotas[position];
      const pickUids = (n: number) => Array.from({ length: Math.min(n, uids.length) }, () => uids.splice(Math.floor(rng() * uids.length), 1)[0]);
      const gone = pickUids(quota);
      const touched = pickUids(quota);
      if (gone.length > 0) {
        await client.run(`UID STORE ${gone.join(',')} +FLAGS.SILENT (\\Deleted)`);
        await client.run('EXPUNGE');
      }
      if (touched.length > 0) await client.run(`UID STORE ${touched.join(',')} ${rng() < 0.5 ? '+' : '-'}FLAGS.SILENT (\\Flagged \\Seen)`);
      deleted += gone.length;
      reflagged += touched.length;
      await client.run('CLOSE');
    }
    return { added: changes, deleted, reflagged };
  } finally {
    await client.logout();
  }
}
