/**
 * Issue 2 acceptance: `mtm prune` drops the days past retention and exactly the blobs only they
 * referenced; `mtm verify` passes on the result and names a corrupted and a missing blob.
 */
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { accountDirectoryName, FileBlobStore } from '../../src/snapshots/store/embedded/file-blob-store.js';
import { openStore } from '../../src/snapshots/store/store.js';
import { liveClient, liveMessages, mtmJson, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { freezeOutsideWrite } from './freeze-snapshot.js';

const ACCOUNT = 'retention-dave';
const OTHER = 'retention-erin';
const DAYS = ['2026-09-01', '2026-09-02', '2026-09-03', '2026-09-04', '2026-09-05'];

interface DayJson { day: string; messages: number }

let dir: string;
let config: string;
let blobRoot: string;
/** Hashes each day references (all folders). */
const referenced = new Map<string, Set<string>>();

function blobFile(hash: string): string {
  return join(blobRoot, hash.slice(0, 2), hash);
}

function blobsOnDisk(): Set<string> {
  const out = new Set<string>();
  for (const prefix of readdirSync(blobRoot)) for (const name of readdirSync(join(blobRoot, prefix))) out.add(name);
  return out;
}

/** What a day references, read from the catalog the CLI wrote (cheaper than one `mtm list` per folder). */
async function dayHashes(day: string): Promise<Set<string>> {
  const store = await openStore({ path: join(dir, 'store') });
  try {
    const seq = await store.catalog.captureForDay(ACCOUNT, day);
    if (seq === null) throw new Error(`no capture for ${day}`);
    const hashes = new Set<string>();
    for (const folder of await store.catalog.folders(ACCOUNT, seq)) {
      for (const m of await store.catalog.messages(ACCOUNT, seq, folder.name, folder.uidValidity)) hashes.add(m.blobHash);
    }
    return hashes;
  } finally {
    await store.close();
  }
}

async function deleteLive(live: ImapFlow, folder: string, count: number): Promise<void> {
  await live.mailboxOpen(folder);
  const uids: number[] = [];
  for await (const m of live.fetch('1:*', { uid: true })) uids.push(m.uid);
  await live.messageDelete(uids.slice(0, count).join(','), { uid: true });
  await live.mailboxClose();
}

async function snapshot(day: string): Promise<void> {
  const run = await runMtm(['snapshot', '-c', config, '--label', day]);
  expect(run.code).toBe(0);
  referenced.set(day, await dayHashes(day));
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  const testbed = testbedFromEnv();
  addUser(testbed, ACCOUNT, 'dave-pw-1');
  addUser(testbed, OTHER, 'erin-pw-1');
  dir = tempDir('retention');
  config = writeConfig(dir, [ACCOUNT, OTHER], { snapshot: { retentionDays: 3 } });
  blobRoot = join(dir, 'store', 'blobs', accountDirectoryName(ACCOUNT));
  let next = 0;
  const fresh = (count: number) => Array.from({ length: count }, () => generateMessage(next++, 41, { minBytes: 800, maxBytes: 4000 }));
  const other = await liveClient(OTHER);
  await appendAll(other, 'INBOX', Array.from({ length: 10 }, (_, i) => generateMessage(i, 42)));
  await other.logout();

  const live = await liveClient(ACCOUNT);
  try {
    await appendAll(live, 'INBOX', fresh(20));
    await appendAll(live, 'Work', fresh(10));
    await snapshot(DAYS[0]);
    // Day 2: 4 INBOX messages gone (referenced by day 1 only), 3 new ones.
    await deleteLive(live, 'INBOX', 4);
    await appendAll(live, 'INBOX', fresh(3));
    await snapshot(DAYS[1]);
    // Day 3: 2 Work messages gone (referenced by days 1-2 only), 2 new ones in INBOX.
    await deleteLive(live, 'Work', 2);
    await appendAll(live, 'INBOX', fresh(2));
    await snapshot(DAYS[2]);
    // Day 4: a message that only days 3 and 4 will have, deleted before day 5.
    await appendAll(live, 'Work', fresh(1));
    await snapshot(DAYS[3]);
    await deleteLive(live, 'INBOX', 1);
    await snapshot(DAYS[4]);
  } finally {
    await live.logout();
  }
}, 180000);

test('prune removes days past retention and the blobs only they referenced, keeping shared blobs', async () => {
  const kept = DAYS.slice(2);
  const dropped = DAYS.slice(0, 2);
  const keptHashes = new Set(kept.flatMap((day) => [...referenced.get(day)!]));
  const droppedHashes = new Set(dropped.flatMap((day) => [...referenced.get(day)!]));
  const onlyDropped = [...droppedHashes].filter((hash) => !keptHashes.has(hash));
  const shared = [...droppedHashes].filter((hash) => keptHashes.has(hash));
  // The scenario really has both kinds, and every blob is on disk before pruning.
  expect(onlyDropped.length).toBe(6);
  expect(shared.length).toBeGreaterThan(20);
  expect(blobsOnDisk()).toEqual(new Set([...keptHashes, ...droppedHashes]));
  const otherBefore = await mtmJson<DayJson[]>(['list', '-c', config, '--account', OTHER]);

  const run = await runMtm(['prune', '-c', config, '--today', DAYS[4]]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`${ACCOUNT}: removed 2 day(s) (${dropped.join(', ')}), deleted 6 blob(s)`);

  const days = await mtmJson<DayJson[]>(['list', '-c', config, '--account', ACCOUNT]);
  expect(days.map((d) => d.day)).toEqual(kept);
  for (const hash of onlyDropped) expect(existsSync(blobFile(hash))).toBe(false);
  for (const hash of shared) expect(existsSync(blobFile(hash))).toBe(true);
  expect(blobsOnDisk()).toEqual(keptHashes);
  // Kept days read exactly as before.
  for (const day of kept) expect(await dayHashes(day)).toEqual(referenced.get(day));
  // The other account, snapshotted on the same days, is pruned by the same rule.
  expect(otherBefore.map((d) => d.day)).toEqual(DAYS);
  expect((await mtmJson<DayJson[]>(['list', '-c', config, '--account', OTHER])).map((d) => d.day)).toEqual(kept);

  // Pruning again is a no-op.
  const again = await runMtm(['prune', '-c', config, '--today', DAYS[4]]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`${ACCOUNT}: removed 0 day(s), deleted 0 blob(s)`);
  expect(blobsOnDisk()).toEqual(keptHashes);
});

test('prune also removes leftovers of killed runs once they are old, and never fresh ones', async () => {
  const blobs = new FileBlobStore(join(dir, 'store'));
  const oldOrphan = await blobs.put(ACCOUNT, generateMessage(900, 41));
  const freshOrphan = await blobs.put(ACCOUNT, generateMessage(901, 41));
  const oldTemporary = join(blobRoot, oldOrphan.hash.slice(0, 2), `.${oldOrphan.hash}.4242.0a1b2c3d.tmp`);
  const freshTemporary = join(blobRoot, freshOrphan.hash.slice(0, 2), `.${freshOrphan.hash}.4243.0a1b2c3e.tmp`);
  writeFileSync(oldTemporary, 'half a blob');
  writeFileSync(freshTemporary, 'half a blob');
  const longAgo = new Date(Date.now() - 24 * 3600 * 1000);
  utimesSync(blobFile(oldOrphan.hash), longAgo, longAgo);
  utimesSync(oldTemporary, longAgo, longAgo);
  const kept = new Set(DAYS.slice(2).flatMap((day) => [...referenced.get(day)!]));

  const run = await runMtm(['prune', '-c', config, '--today', DAYS[4]]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`${ACCOUNT}: removed 0 day(s), deleted 1 blob(s)`);
  expect(existsSync(blobFile(oldOrphan.hash))).toBe(false);
  expect(existsSync(oldTemporary)).toBe(false);
  // Fresh files may belong to a snapshot running right now.
  expect(existsSync(blobFile(freshOrphan.hash))).toBe(true);
  expect(existsSync(freshTemporary)).toBe(true);
  expect(blobsOnDisk()).toEqual(new Set([...kept, freshOrphan.hash, `.${freshOrphan.hash}.4243.0a1b2c3e.tmp`]));
  rmSync(freshTemporary);
  rmSync(blobFile(freshOrphan.hash));
});

test('verify passes after pruning, then names a corrupted blob and a missing one', async () => {
  const clean = await runMtm(['verify', '-c', config]);
  expect(clean.stdout).toMatch(new RegExp(`✓ ${ACCOUNT}: \\d+ blobs checked, 0 damaged`));
  expect(clean.code).toBe(0);

  const [corrupt, missing] = [...referenced.get(DAYS[4])!].sort();
  const file = blobFile(corrupt);
  const bytes = readFileSync(file);
  for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 16 && i < bytes.length; i++) bytes[i] ^= 0xff;
  writeFileSync(file, bytes);
  rmSync(blobFile(missing));

  const damaged = await runMtm(['verify', '-c', config]);
  expect(damaged.code).not.toBe(0);
  expect(damaged.stdout).toMatch(new RegExp(`${ACCOUNT}: blob ${corrupt} (damaged|unreadable|content hashes to [0-9a-f]{64}|size)`));
  expect(damaged.stdout).toContain(`${ACCOUNT}: blob ${missing} missing`);
  expect(damaged.stdout).toMatch(new RegExp(`✗ ${ACCOUNT}: \\d+ blobs checked, 2 damaged`));
  // The other account is undamaged, and verifying only it succeeds.
  expect(damaged.stdout).toMatch(new RegExp(`✓ ${OTHER}: \\d+ blobs checked, 0 damaged`));
  expect((await runMtm(['verify', '-c', config, '--account', OTHER])).code).toBe(0);
  expect((await runMtm(['verify', '-c', config, '--account', ACCOUNT])).code).not.toBe(0);
});

describe('prune while a snapshot is running', () => {
  const FAY = 'retention-fay';
  const D1 = '2026-06-01';
  const D2 = '2026-06-02';
  let fayConfig: string;
  let fayBlobs: string;
  let fayDir: string;

  afterAll(() => {
    if (fayDir) rmSync(fayDir, { recursive: true, force: true });
  });

  function fayBlobCount(): number {
    let count = 0;
    for (const prefix of existsSync(fayBlobs) ? readdirSync(fayBlobs) : []) {
      count += readdirSync(join(fayBlobs, prefix)).filter((name) => /^[0-9a-f]{64}$/.test(name)).length;
    }
    return count;
  }

  beforeAll(async () => {
    addUser(testbedFromEnv(), FAY, 'fay-pw-1');
    fayDir = tempDir('retention-race');
    fayConfig = writeConfig(fayDir, [FAY], { snapshot: { retentionDays: 1, fetchBatchSize: 10 } });
    fayBlobs = join(fayDir, 'store', 'blobs', accountDirectoryName(FAY));
    const live = await liveClient(FAY);
    try {
      await appendAll(live, 'INBOX', Array.from({ length: 20 }, (_, i) => generateMessage(i, 43)));
      await appendAll(live, 'Zeta', Array.from({ length: 10 }, (_, i) => generateMessage(100 + i, 43)));
      expect((await runMtm(['snapshot', '-c', fayConfig, '--label', D1])).code).toBe(0);
      await appendAll(live, 'INBOX', Array.from({ length: 150 }, (_, i) => generateMessage(200 + i, 43, { minBytes: 20_000, maxBytes: 40_000 })));
    } finally {
      await live.logout();
    }
  }, 120000);

  test('dropping the day a running snapshot builds on loses nothing of the new day', async () => {
    const child = startMtm(['snapshot', '-c', fayConfig, '--label', D2]);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    let finished = false;
    void exited.then(() => (finished = true));
    // Freeze the snapshot in the middle of downloading INBOX's new bodies, prune, then let it go on.
    while (!finished && fayBlobCount() < 30 + 20) await new Promise((r) => setTimeout(r, 5));
    await freezeOutsideWrite(child, join(fayDir, 'store'));
    expect(finished).toBe(false);
    const prune = await runMtm(['prune', '-c', fayConfig, '--today', D2]);
    child.kill('SIGCONT');
    expect(prune.code).toBe(0);
    // The day the running snapshot builds on is kept until it has finished.
    expect(prune.stdout).toContain(`${FAY}: removed 0 day(s)`);
    expect(await exited).toBe(0);
    expect(output).toContain(`1 of 1 accounts snapshotted for ${D2}`);

    const live = await liveClient(FAY);
    const expected = new Map<string, number[]>();
    try {
      for (const folder of ['INBOX', 'Zeta']) expected.set(folder, (await liveMessages(live, folder)).map((m) => m.uid));
    } finally {
      await live.logout();
    }
    const folders = await mtmJson<{ name: string; messages: number }[]>(['list', '-c', fayConfig, '--account', FAY, '--day', D2]);
    expect(folders.map((f) => [f.name, f.messages])).toEqual([['INBOX', 170], ['Zeta', 10]]);
    for (const [folder, uids] of expected) {
      const listed = await mtmJson<{ uid: number }[]>(['list', '-c', fayConfig, '--account', FAY, '--day', D2, '--folder', folder]);
      expect(listed.map((m) => m.uid)).toEqual(uids);
    }
    const verify = await runMtm(['verify', '-c', fayConfig]);
    expect(verify.stdout).toContain(`${FAY}: 180 blobs checked, 0 damaged`);
    expect(verify.code).toBe(0);

    // Once no snapshot runs, the old day goes, and the new one still verifies.
    expect((await runMtm(['prune', '-c', fayConfig, '--today', D2])).code).toBe(0);
    expect((await mtmJson<DayJson[]>(['list', '-c', fayConfig, '--account', FAY])).map((d) => d.day)).toEqual([D2]);
    expect((await runMtm(['verify', '-c', fayConfig])).code).toBe(0);
    expect(fayBlobCount()).toBe(180);
  }, 120000);
});
