/**
 * The PostgreSQL catalog against the machine's PostgreSQL: the SQLite catalog's semantics (checked
 * by running the same generated histories through both), versioned rows, crash roll-back decided
 * by session liveness across instances, schema migrations, and failures that name the server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import pg from 'pg';
import type { MessageStructure } from '../../../src/mail/structure.js';
import { OPEN, type Capture, type Catalog, type FolderRecord, type MessageRecord, type ReusableMessage } from '../../../src/snapshots/store/catalog.js';
import { captureInbox, hash, inbox, message } from './catalog-history.js';
import { PostgresCatalog } from '../../../src/snapshots/store/postgres/catalog.js';
import { SqliteCatalog } from '../../../src/snapshots/store/embedded/sqlite-catalog.js';
import { createTestDatabase, type TestDatabase } from '../../fixtures/postgres.js';

const ACCOUNT = 'catalog-jo';
const STRUCTURE = { headerLength: 12, parts: [] } as unknown as MessageStructure;

let database: TestDatabase;
const opened: PostgresCatalog[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((catalog) => catalog.close().catch(() => {})));
  await database.drop();
});

/** A catalog on a fresh schema of its own: each test starts from an empty catalog. */
async function fresh(): Promise<PostgresCatalog> {
  await Promise.all(opened.splice(0).map((catalog) => catalog.close()));
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await admin.end();
  return another();
}

/** A second instance on the same database (another `mtm` process, here or on another machine). */
async function another(): Promise<PostgresCatalog> {
  const catalog = await PostgresCatalog.open(database.url);
  opened.push(catalog);
  return catalog;
}

async function rowCount(table: string): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await client.end();
  }
}

/** One complete capture of INBOX holding `messages`. */
function capture(catalog: Catalog, day: string, messages: MessageRecord[], commit = true): Promise<Capture> {
  return captureInbox(catalog, ACCOUNT, STRUCTURE, day, messages, commit);
}

test('an unchanged message costs one row however many days keep it; a changed one gets a new version', async () => {
  const catalog = await fresh();
  const day1 = [message(1), message(2, ['\\Seen']), message(3)];
  for (let d = 1; d <= 10; d++) await capture(catalog, `2026-05-${String(d).padStart(2, '0')}`, day1);
  expect(await rowCount('message_versions')).toBe(3);
  expect(await rowCount('folder_versions')).toBe(1);
  const seq11 = (await capture(catalog, '2026-05-11', [message(1), message(2)])).seq;
  expect(await rowCount('message_versions')).toBe(4);
  expect((await catalog.messages(ACCOUNT, seq11, 'INBOX', 7)).map((m) => [m.uid, m.flags])).toEqual([[1, []], [2, []]]);
  const seq10 = (await catalog.captureForDay(ACCOUNT, '2026-05-10'))!;
  expect((await catalog.messages(ACCOUNT, seq10, 'INBOX', 7)).map((m) => [m.uid, m.flags])).toEqual([[1, []], [2, ['\\Seen']], [3, []]]);
  expect((await catalog.days(ACCOUNT)).map((d) => d.messages)).toEqual([...Array(10).fill(3), 2]);
});

test('values round-trip exactly: 32-bit UIDs, 64-bit sizes and modseqs, dates, flags, structures and header bytes', async () => {
  const catalog = await fresh();
  const { capture: started } = await catalog.startCapture(ACCOUNT, '2026-05-01');
  const big: MessageRecord = { uid: 4294967295, flags: ['\\Seen', '$Label1'], internalDate: new Date(Date.UTC(1970, 0, 1, 0, 0, 1)), size: 5 * 2 ** 32, blobHash: hash(9) };
  const header = Buffer.from([0, 1, 2, 0xff, 13, 10]);
  const structure = { headerLength: 6, note: 'ünï\u0000code' } as unknown as MessageStructure;
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: big.blobHash, size: big.size, storedBytes: 17 }, structure, header }], started);
  const folder: FolderRecord = { name: 'Archiv/Überfällig', delimiter: '.', uidValidity: 4294967295, uidNext: 4294967296, highestModseq: 2 ** 52, subscribed: false, specialUse: '\\Archive', messages: 1, bytes: big.size };
  await catalog.recordFolder(started, folder, [big]);
  await catalog.commitCapture(started);
  expect(await catalog.folders(ACCOUNT, started.seq)).toEqual([folder]);
  expect(await catalog.messages(ACCOUNT, started.seq, folder.name, folder.uidValidity)).toEqual([{ ...big, flags: ['$Label1', '\\Seen'] }]);
  expect(await catalog.blobStructure(ACCOUNT, big.blobHash)).toEqual(structure);
  expect(await catalog.blobHeaders(ACCOUNT, [big.blobHash, hash(1)])).toEqual(new Map([[big.blobHash, header]]));
  expect(await catalog.referencedBlobs(ACCOUNT)).toEqual([{ hash: big.blobHash, size: big.size, storedBytes: 17 }]);
  // Another account sees none of it.
  expect(await catalog.hasBlob('someone-else', big.blobHash)).toBe(false);
  expect(await catalog.blobHeaders('someone-else', [big.blobHash])).toEqual(new Map());
});

test('a capture is invisible until committed, and abandoning it leaves the earlier days as they were', async () => {
  const catalog = await fresh();
  await capture(catalog, '2026-05-01', [message(1), message(2)]);
  const running = await capture(catalog, '2026-05-02', [message(1), message(3)], false);
  const reader = await another();
  expect((await reader.days(ACCOUNT)).map((d) => d.day)).toEqual(['2026-05-01']);
  expect(await reader.captureForDay(ACCOUNT, '2026-05-02')).toBeNull();
  await catalog.abandonCapture(running);
  const seq1 = (await catalog.captureForDay(ACCOUNT, '2026-05-01'))!;
  expect((await catalog.messages(ACCOUNT, seq1, 'INBOX', 7)).map((m) => m.uid)).toEqual([1, 2]);
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([hash(3)]);
});

test('an interrupted capture of this process is rolled back by the next one, which adopts its fetched blobs', async () => {
  const catalog = await fresh();
  await capture(catalog, '2026-05-01', [message(1)]);
  const { capture: dead } = await catalog.startCapture(ACCOUNT, '2026-05-02');
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: hash(2), size: 102, storedBytes: 102 }, structure: STRUCTURE }], dead);
  const { capture: next } = await catalog.startCapture(ACCOUNT, '2026-05-02');
  expect(next.previousSeq).toBe((await catalog.captureForDay(ACCOUNT, '2026-05-01'))!);
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([]);
  expect(await catalog.hasBlob(ACCOUNT, hash(2))).toBe(true);
  await catalog.recordFolder(next, inbox([message(1), message(2)]), [message(1), message(2)]);
  await catalog.commitCapture(next);
  expect((await catalog.referencedBlobs(ACCOUNT)).map((b) => b.hash)).toEqual([hash(1), hash(2)]);
  await expect(catalog.commitCapture(dead)).rejects.toThrow(/no longer running/);
});

/**
 * Another `mtm` process (built catalog from dist/) that starts a capture, notes one fetched body,
 * reports, and runs until it is killed.
 */
const INSTANCE = `
const [catalogModule, url, account, day, fetched] = process.argv.slice(1);
const { PostgresCatalog } = await import(catalogModule);
const catalog = await PostgresCatalog.open(url);
try {
  const { capture } = await catalog.startCapture(account, day);
  if (fetched) await catalog.recordFetched(capture, JSON.parse(fetched));
  console.log(JSON.stringify({ started: capture.seq }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message }));
}
setInterval(() => {}, 60000);
`;

interface OtherInstance { outcome: { started?: number; error?: string }; kill(): Promise<void> }

async function captureInAnotherProcess(day: string, fetched?: ReusableMessage): Promise<OtherInstance> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', INSTANCE, resolve('dist/snapshots/store/postgres/catalog.js'), database.url, ACCOUNT, day, fetched ? JSON.stringify(fetched) : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const outcome = JSON.parse(line) as OtherInstance['outcome'];
  return {
    outcome,
    async kill() {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      // The server ends the session when it sees the socket closed: soon, not at once.
      if (outcome.started !== undefined) await waitForCaptureLockRelease(outcome.started);
    },
  };
}

async function waitForCaptureLockRelease(seq: number): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND objid::bigint = $1", [seq]);
      if (rows[0].n === 0) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`the lock of capture ${seq} outlived its process`);
  } finally {
    await client.end();
  }
}

test('a capture running in another process is left alone while that process lives, and rolled back once it is killed', async () => {
  const here = await fresh();
  await capture(here, '2026-05-01', [message(1)]);
  await capture(here, '2026-05-02', [message(2)]);
  const elsewhere = await captureInAnotherProcess('2026-05-03', { folder: 'INBOX', uidValidity: 7, uid: 3, size: 103, internalDate: Date.UTC(2026, 0, 3), blobHash: hash(3) });
  expect(elsewhere.outcome.started).toEqual(expect.any(Number));
  await expect(here.startCapture(ACCOUNT, '2026-05-03')).rejects.toThrow(/another snapshot of catalog-jo is running/);
  // Its base stays while it runs; and garbage collection leaves it be.
  expect(await here.dropDays(ACCOUNT, ['2026-05-01', '2026-05-02'])).toEqual(['2026-05-01']);
  expect(await here.collectGarbage(ACCOUNT)).toEqual([hash(1)]);
  // SIGKILL: its connections close with it, and nothing it started protects anything any more.
  await elsewhere.kill();
  expect(await here.dropDays(ACCOUNT, ['2026-05-02'])).toEqual(['2026-05-02']);
  const { capture: next, salvaged } = await here.startCapture(ACCOUNT, '2026-05-03');
  expect(next.previousSeq).toBeNull();
  expect(salvaged.map((m) => m.uid)).toEqual([3]);
  await here.abandonCapture(next);
  expect((await here.collectGarbage(ACCOUNT)).sort()).toEqual([hash(2), hash(3)]);
  expect(await here.days(ACCOUNT)).toEqual([]);
});

test('three processes starting a capture of one account at once: exactly one runs', async () => {
  const catalog = await fresh();
  await capture(catalog, '2026-05-01', [message(1)]);
  const instances = await Promise.all([1, 2, 3].map(() => captureInAnotherProcess('2026-05-02')));
  try {
    expect(instances.filter(({ outcome }) => outcome.started !== undefined)).toHaveLength(1);
    for (const { outcome } of instances) if (outcome.error) expect(outcome.error).toMatch(/another snapshot of catalog-jo is running/);
  } finally {
    await Promise.all(instances.map((instance) => instance.kill()));
  }
});

test('bodies noted with recordFetched survive any number of failed or interrupted captures, until a commit or a prune with no run', async () => {
  const catalog = await fresh();
  await capture(catalog, '2026-04-01', [message(1)]);
  const fetched = (uid: number): ReusableMessage => ({ folder: 'INBOX', uidValidity: 7, uid, size: 100 + uid, internalDate: Date.UTC(2026, 0, uid), blobHash: hash(uid) });
  const { capture: first } = await catalog.startCapture(ACCOUNT, '2026-04-02');
  await catalog.recordFetched(first, fetched(2));
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: hash(2), size: 102, storedBytes: 102 }, structure: STRUCTURE }], first);
  await catalog.recordFetched(first, fetched(3));
  await catalog.abandonCapture(first);
  // The next one gets both back, and stores one more before its instance is closed (as at exit).
  const closed = await another();
  const { capture: second, salvaged } = await closed.startCapture(ACCOUNT, '2026-04-02');
  expect(salvaged.map((m) => m.uid).sort()).toEqual([2, 3]);
  await closed.recordFetched(second, fetched(4));
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([]);
  await closed.close();
  const { capture: third, salvaged: again } = await catalog.startCapture(ACCOUNT, '2026-04-02');
  expect(again.map((m) => m.uid).sort()).toEqual([2, 3, 4]);
  await catalog.abandonCapture(third);
  expect((await catalog.collectGarbage(ACCOUNT)).sort()).toEqual([hash(2), hash(3), hash(4)]);
  const { salvaged: none } = await catalog.startCapture(ACCOUNT, '2026-04-03');
  expect(none).toEqual([]);
});

test('the schema is migrated once, whoever starts first, and reopening changes nothing', async () => {
  await fresh();
  await Promise.all([another(), another(), another()]);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT name FROM mtm_migrations ORDER BY id');
    expect(rows.map((row) => row.name)).toEqual(['1764439200000_catalog', '1764442800000_restore-jobs', '1764457200000_search-index', '1764500000000_open-ended-rows', '1764503600000_compact-blob-metadata']);
  } finally {
    await client.end();
  }
});

test('an unreachable server is named with the cause, without the password of the URL', async () => {
  const started = Date.now();
  const error = await PostgresCatalog.open('postgres://mtm:s3cret-pw@127.0.0.1:9/mtm').catch((caught: unknown) => caught);
  expect(String((error as Error).message)).toBe('PostgreSQL at 127.0.0.1:9 is unreachable: ECONNREFUSED');
  expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('s3cret-pw');
  expect(Date.now() - started).toBeLessThan(5000);
  const missing = await PostgresCatalog.open(`${database.url}_does_not_exist`).catch((caught: unknown) => caught);
  expect(String((missing as Error).message)).toMatch(/^PostgreSQL at 127\.0\.0\.1:5432 refused the store: database "mtm_test_\w+_does_not_exist" does not exist \(3D000\)$/);
});

// ---- Same history, same answers: the SQLite catalog is the reference. ----

const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];
const FOLDER_NAMES = ['INBOX', 'Archiv/Überfällig', 'Sent'];

const messageArb = fc.record({
  uid: fc.integer({ min: 1, max: 6 }),
  flags: fc.subarray(['\\Seen', '\\Flagged', '$Junk']),
  blob: fc.integer({ min: 1, max: 8 }),
});
const folderArb = fc.record({
  name: fc.constantFrom(...FOLDER_NAMES),
  uidValidity: fc.constantFrom(1, 2),
  subscribed: fc.boolean(),
  carry: fc.boolean(),
  messages: fc.uniqueArray(messageArb, { selector: (m) => m.uid, maxLength: 5 }),
});
const stepArb = fc.oneof(
  fc.record({
    kind: fc.constant('capture' as const),
    day: fc.constantFrom(...DAYS),
    fetched: fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 3 }),
    folders: fc.uniqueArray(folderArb, { selector: (f) => f.name, maxLength: 3 }),
    end: fc.constantFrom('commit', 'commit', 'abandon', 'leave'),
  }),
  fc.record({ kind: fc.constant('drop' as const), days: fc.subarray(DAYS) }),
  fc.record({ kind: fc.constant('gc' as const) }),
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** Runs one step; what it returns (with capture numbers replaced by day labels) must not depend on the catalog. */
async function apply(catalog: Catalog, step: Step): Promise<unknown> {
  if (step.kind === 'drop') return catalog.dropDays(ACCOUNT, step.days);
  if (step.kind === 'gc') return (await catalog.collectGarbage(ACCOUNT)).sort();
  const { capture: started, salvaged } = await catalog.startCapture(ACCOUNT, step.day);
  for (const blob of step.fetched) {
    await catalog.recordFetched(started, { folder: 'INBOX', uidValidity: 1, uid: blob, size: blob, internalDate: blob * 1000, blobHash: hash(blob) });
  }
  for (const folder of step.folders) {
    const messages = folder.messages.map((m) => ({ uid: m.uid, flags: m.flags, internalDate: new Date(m.blob * 1000), size: m.blob * 10, blobHash: hash(m.blob) }));
    const fresh = [...new Set(messages.map((m) => m.blobHash))];
    const unknown: string[] = [];
    for (const blobHash of fresh) if (!(await catalog.hasBlob(ACCOUNT, blobHash))) unknown.push(blobHash);
    await catalog.addBlobs(ACCOUNT, unknown.map((blobHash) => ({ blob: { hash: blobHash, size: 1, storedBytes: 1 }, structure: STRUCTURE, header: Buffer.from(blobHash.slice(-2)) })), started);
    if (folder.carry) {
      await catalog.carryFolderForward(started, folder.name, folder.uidValidity);
    } else {
      await catalog.recordFolder(started, {
        name: folder.name, delimiter: '/', uidValidity: folder.uidValidity, uidNext: 7, highestModseq: null, subscribed: folder.subscribed,
        specialUse: null, messages: messages.length, bytes: messages.reduce((n, m) => n + m.size, 0),
      }, messages);
    }
  }
  if (step.end === 'commit') await catalog.commitCapture(started);
  if (step.end === 'abandon') await catalog.abandonCapture(started);
  const sortKey = (m: ReusableMessage) => JSON.stringify([m.folder, m.uidValidity, m.uid, m.blobHash]);
  return { previous: started.previousSeq === null ? null : 'some', salvaged: salvaged.map(sortKey).sort() };
}

/** Everything a reader can see of the account, without capture numbers (they are the catalog's own). */
async function observe(catalog: Catalog): Promise<unknown> {
  const days = [];
  for (const { seq, ...summary } of await catalog.days(ACCOUNT)) {
    const folders = [];
    for (const folder of await catalog.folders(ACCOUNT, seq)) {
      folders.push({ folder, messages: await catalog.messages(ACCOUNT, seq, folder.name, folder.uidValidity) });
    }
    const reusable = (await catalog.reusableMessages(ACCOUNT, seq)).map((m) => JSON.stringify(m)).sort();
    days.push({ summary, folders, reusable, same: (await catalog.captureForDay(ACCOUNT, summary.day)) === seq });
  }
  const hashes = Array.from({ length: 8 }, (_, i) => hash(i + 1));
  const has = await Promise.all(hashes.map((h) => catalog.hasBlob(ACCOUNT, h)));
  const headers = [...(await catalog.blobHeaders(ACCOUNT, hashes)).entries()].sort();
  return { accounts: await catalog.accounts(), days, referenced: await catalog.referencedBlobs(ACCOUNT), has, headers };
}

test('any history of captures, drops and garbage collections gives the same answers as the SQLite catalog', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (steps) => {
      const reference = new SqliteCatalog(join(mkdtempSync(join(tmpdir(), 'mtm-pg-reference-')), 'catalog.sqlite'));
      const catalog = await fresh();
      try {
        for (const step of steps) {
          expect(await apply(catalog, step)).toEqual(await apply(reference, step));
          expect(await observe(catalog)).toEqual(await observe(reference));
        }
      } finally {
        await reference.close();
      }
    }),
    { numRuns: 25 },
  );
});

test('a catalog written before open-ended rows is migrated: the same days, an old run rolled back, and an unchanged night adds no message row', async () => {
  const catalog = await fresh();
  await capture(catalog, '2026-05-01', [message(1), message(2), message(3)]);
  const seq2 = (await capture(catalog, '2026-05-02', [message(1), message(2, ['\\Seen'])])).seq;
  const { capture: dead } = await catalog.startCapture(ACCOUNT, '2026-05-03');
  await catalog.close();
  // Back to the schema of before: rows end at the latest capture that has them, and the old
  // version's run left behind extended message 1 and added message 4 before it died.
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (const table of ['folder_versions', 'message_versions']) await client.query(`UPDATE ${table} SET last_seq = $1 WHERE last_seq = $2`, [seq2, OPEN]);
    await client.query('UPDATE message_versions SET last_seq = $1 WHERE uid = 1 AND last_seq = $2', [dead.seq, seq2]);
    await client.query(
      "INSERT INTO message_versions (account_id, folder, uid_validity, uid, blob_hash, flags, internal_date, size, first_seq, last_seq) SELECT id, 'INBOX', 7, 4, $1, '[]', 0, 104, $2, $2 FROM accounts",
      [hash(4), dead.seq],
    );
    await client.query('ALTER TABLE folder_versions DROP COLUMN recorded_seq');
    // It and the migrations after it run again (those after it change nothing the second time).
    await client.query("DELETE FROM mtm_migrations WHERE name >= '1764500000000_open-ended-rows'");
  } finally {
    await client.end();
  }
  const migrated = await another();
  expect((await migrated.days(ACCOUNT)).map((d) => [d.day, d.messages])).toEqual([['2026-05-01', 3], ['2026-05-02', 2]]);
  const rowsBefore = await rowCount('message_versions');
  const seq3 = (await capture(migrated, '2026-05-03', [message(1), message(2, ['\\Seen'])])).seq;
  // The old run's row is gone and nothing was added: the migrated rows were open.
  expect(await rowCount('message_versions')).toBe(rowsBefore - 1);
  for (const [seq, uids] of [[seq2 - 1, [1, 2, 3]], [seq2, [1, 2]], [seq3, [1, 2]]] as const) {
    expect((await migrated.messages(ACCOUNT, seq, 'INBOX', 7)).map((m) => m.uid)).toEqual(uids);
  }
});

test('blob rows written before the compact encoding (JSON text, raw header) read back beside compact ones', async () => {
  const catalog = await fresh();
  const structure = { version: 3, headerLength: 20, root: { kind: 'text', children: [] } } as unknown as MessageStructure;
  const header = Buffer.from('Subject: old row\r\n\r\n');
  const { capture: started } = await catalog.startCapture(ACCOUNT, '2026-05-01');
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: hash(2), size: 50, storedBytes: 50 }, structure, header }], started);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('INSERT INTO blobs (account_id, hash, size, stored_bytes, structure, added_seq, header) SELECT id, $1, 50, 50, $2, $3, $4 FROM accounts', [hash(1), JSON.stringify(structure), started.seq, header]);
  } finally {
    await client.end();
  }
  for (const n of [1, 2]) expect(await catalog.blobStructure(ACCOUNT, hash(n))).toEqual(structure);
  const headers = await catalog.blobHeaders(ACCOUNT, [hash(1), hash(2)]);
  expect([headers.get(hash(1))!.toString(), headers.get(hash(2))!.toString()]).toEqual([header.toString(), header.toString()]);
  await catalog.abandonCapture(started);
});
