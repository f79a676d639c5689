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

/** Same folder for runs of 50 consecutive messages, so threads mostly stay together. */
function folderFor(index: number): string {
  const rng = seededRandom(Math.floor(index / 50) * 7919 + SEED);
  let roll = rng();
  for (const folder of FOLDER_SHARES) {
    if (roll < folder.share) return folder.name;
    roll -= folder.share;
  }
  return 'INBOX';
}

/**
 * generateMessage adds an attachment when its second random draw is < 0.15 (and the message is
 * big enough): find a seed for which it does, so every large message is a real attachment.
 */
function attachmentSeed(index: number): number {
  for (let seed = SEED; ; seed++) {
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

function maildirOf(testbed: DovecotTestbed, folder: string): string {
  const base = join(testbed.root, 'mail', BENCH_USER);
  // Maildir++: INBOX is the top directory, other folders ".A.B" with "." as the on-disk separator.
  return folder === 'INBOX' ? base : join(base, `.${folder.split('/').join('.')}`);
}

/** Writes the account's Maildir (files owned by the mail user when we run as root). */
export function writeMaildir(testbed: DovecotTestbed, count: number): GeneratedAccount {
  const started = process.hrtime.bigint();
  const perFolder: Record<string, number> = {};
  for (const folder of FOLDER_SHARES) {
    const dir = maildirOf(testbed, folder.name);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    if (folder.name !== 'INBOX') writeFileSync(join(dir, 'maildirfolder'), '');
    perFolder[folder.name] = 0;
  }
  let rawBytes = 0;
  let largeMessages = 0;
  const baseTime = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  for (let index = 0; index < count; index++) {
    const message = benchMessage(index);
    const size = virtualSize(message);
    if (message.length >= 100_000) largeMessages += 1;
    const folder = folderFor(index);
    const received = baseTime + index * 600;
    const file = join(maildirOf(testbed, folder), 'cur', `${received}.M${index}P1.bench,S=${message.length},W=${size}:2,${flagsFor(index)}`);
    writeFileSync(file, message);
    // Maildir's received date (INTERNALDATE) is the file's mtime.
    utimesSync(file, received, received);
    perFolder[folder] += 1;
    rawBytes += size;
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${MAIL_USER}:${MAIL_USER}`, join(testbed.root, 'mail', BENCH_USER)]);
  return { messages: count, rawBytes, perFolder, largeMessages, method: 'Maildir files written directly, indexed by Dovecot on first access', writeSeconds: msSince(started) / 1000 };
}

/** Sum of the message files' sizes in the account's Maildir (the "raw mailbox" of the storage ratio). */
export function maildirBytes(testbed: DovecotTestbed): number {
  let total = 0;
  const walk = (dir: string, inMessages: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, entry.name === 'cur' || entry.name === 'new');
      else if (inMessages) total += statSync(path).size;
    }
  };
  walk(join(testbed.root, 'mail', BENCH_USER), false);
  return total;
}

export async function benchLogin(host: string, port: number, user = BENCH_USER): Promise<BenchImapClient> {
  const client = await BenchImapClient.connect(host, port);
  await client.login(user, BENCH_PASSWORD);
  return client;
}

/** Subscribes the folders and lets Dovecot build its indexes: returns the seconds that took. */
export async function indexAccount(testbed: DovecotTestbed): Promise<number> {
  const started = process.hrtime.bigint();
  const client = await benchLogin(testbed.host, testbed.port);
  try {
    for (const folder of FOLDER_SHARES) {
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
function deliver(testbed: DovecotTestbed, messages: Buffer[], name: string): void {
  const dir = maildirOf(testbed, 'INBOX');
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
 * One day of churn on the live account: `share` of the account's messages arrive in INBOX, as
 * many are deleted and as many re-flagged (over IMAP), spread over the folders.
 */
export async function churnDay(testbed: DovecotTestbed, totalMessages: number, day: number, share = 0.01): Promise<{ added: number; deleted: number; reflagged: number }> {
  const changes = Math.max(1, Math.round(totalMessages * share));
  const rng = seededRandom(day * 65537 + SEED);
  deliver(testbed, Array.from({ length: changes }, (_, i) => benchMessage(totalMessages + day * changes + i)), `day${day}`);
  const client = await benchLogin(testbed.host, testbed.port);
  try {
    let deleted = 0;
    let reflagged = 0;
    const folders = FOLDER_SHARES.filter((folder) => folder.share > 0);
    for (const folder of folders) {
      const uids: number[] = [];
      await client.run(`SELECT "${folder.name}"`);
      await client.run('UID FETCH 1:* (UID)', (head) => {
        const uid = /UID (\d+)/i.exec(head);
        if (uid) uids.push(Number(uid[1]));
      });
      const quota = Math.round(changes * folder.share / folders.reduce((sum, f) => sum + f.share, 0));
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
