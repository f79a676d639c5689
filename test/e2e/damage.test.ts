/**
 * Issue 10, items 3 and 8: a flipped byte in a stored blob file is found, never served or restored.
 * The real `mtm serve` answers FETCH of a damaged message with `NO [SERVERBUG]` (the others are
 * still sent, byte for byte), HTTP downloads get a 500 naming the problem, the damage is logged
 * with account and blob and counted in /metrics, `mtm restore` (into the real Dovecot) skips the
 * damaged messages and says so in its output and the confirmation email, and `mtm verify` names
 * them. A damaged page in a copy of the catalog is reported by `mtm verify` and `mtm doctor`.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { accountDirectoryName } from '../../src/snapshots/store/embedded/file-blob-store.js';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { liveClient, mtmJson, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { notices, TODAY } from '../recovery/helpers.js';

const ACCOUNT = 'damage-dora';
const PASSWORD = 'damage-dora-pw-5521';
const DAY = TODAY;
const ADMIN_TOKEN = 'damage-admin-token-0123456789';

interface MessageJson { uid: number; sha256: string }

/** UID → message: 1 and 3 stay intact; 2 (small), 4 (big, streamed, last chunk) and 5 (mid-size, streamed) are damaged. */
const MESSAGES = [
  generateMessage(1, 81, { minBytes: 3000, maxBytes: 4000 }),
  generateMessage(2, 81, { minBytes: 3000, maxBytes: 4000 }),
  generateMessage(3, 81, { minBytes: 100_000, maxBytes: 120_000 }),
  generateMessage(4, 81, { minBytes: 600_000, maxBytes: 650_000 }),
  generateMessage(5, 81, { minBytes: 100_000, maxBytes: 120_000 }),
];
const DAMAGED_UIDS = [2, 4, 5];

let dir: string;
let config: string;
let storePath: string;
let hashes: Map<number, string>;
let imapPort: number;
let httpPort: number;

function blobFile(hash: string): string {
  return join(storePath, 'blobs', accountDirectoryName(ACCOUNT), hash.slice(0, 2), hash);
}

/** One byte of the file flipped: in the middle, or (big message) the last byte, inside its last chunk. */
function flipByte(hash: string, where: 'middle' | 'last'): void {
  const file = blobFile(hash);
  const bytes = readFileSync(file);
  const at = where === 'last' ? bytes.length - 1 : Math.floor(bytes.length / 2);
  bytes[at] ^= 0x20;
  writeFileSync(file, bytes);
}

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, PASSWORD);
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', MESSAGES);
  await live.logout();
  dir = tempDir('damage');
  imapPort = await freePort();
  httpPort = await freePort();
  config = writeConfig(dir, [ACCOUNT], {
    server: { host: '127.0.0.1', port: imapPort, allowPlaintextAuth: true },
    http: { host: '127.0.0.1', port: httpPort },
    recovery: { adminToken: ADMIN_TOKEN },
    auth: { failureDelayMs: 50 },
  });
  storePath = join(dir, 'store');
  const snapshot = await runMtm(['snapshot', '-c', config, '--label', DAY]);
  expect(snapshot.code).toBe(0);
  const listed = await mtmJson<MessageJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY, '--folder', 'INBOX']);
  hashes = new Map(listed.map((message) => [message.uid, message.sha256]));
  expect([...hashes.keys()]).toEqual([1, 2, 3, 4, 5]);
  expect((await runMtm(['verify', '-c', config])).code).toBe(0);
  flipByte(hashes.get(2)!, 'middle');
  flipByte(hashes.get(4)!, 'last');
  flipByte(hashes.get(5)!, 'middle');
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a served damaged message', () => {
  let serve: ReturnType<typeof startMtm>;
  let output = '';

  beforeAll(async () => {
    serve = startMtm(['serve', '-c', config]);
    serve.stdout!.on('data', (chunk) => (output += chunk));
    serve.stderr!.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((response) => response.ok, () => false);
      if (up) break;
      if (Date.now() > deadline || serve.exitCode !== null) throw new Error(`mtm serve did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 60_000);

  afterAll(async () => {
    const exited = new Promise((done) => serve.on('close', done));
    serve.kill('SIGTERM');
    await exited;
  });

  test('IMAP FETCH: NO [SERVERBUG] for the damaged messages, the intact ones sent byte for byte', async () => {
    const imap = await RawImap.connect('127.0.0.1', imapPort);
    try {
      await imap.login(ACCOUNT, PASSWORD);
      await imap.command(`EXAMINE "Snapshots/${DAY}/INBOX"`);
      const reply = await imap.command('FETCH 1:5 (UID BODY.PEEK[])');
      const text = reply.toString('latin1');
      const tagged = text.slice(text.lastIndexOf('\r\n', text.length - 3) + 2);
      expect(tagged).toMatch(/^A\d+ NO \[SERVERBUG\] .*damaged/);
      expect(tagged).toContain('2 (UID 2)');
      expect(tagged).toContain('4 (UID 4)');
      expect(tagged).toContain('5 (UID 5)');
      for (const sequence of [1, 3]) {
        expect(text).toContain(`* ${sequence} FETCH (UID ${sequence} BODY[] {${MESSAGES[sequence - 1].length}}\r\n`);
        expect(reply.includes(MESSAGES[sequence - 1])).toBe(true);
      }
      for (const sequence of DAMAGED_UIDS) expect(text).not.toContain(`* ${sequence} FETCH`);

      // One message at a time, whole, in part and ranged: never a literal of wrong bytes.
      for (const command of ['FETCH 2 BODY.PEEK[]', 'FETCH 2 BODY.PEEK[TEXT]<10.50>', 'FETCH 4 BODY.PEEK[]', 'UID FETCH 4 BODY.PEEK[]<600000.100>', 'FETCH 5 BODY.PEEK[TEXT]', 'FETCH 5 RFC822']) {
        const single = (await imap.command(command)).toString('latin1');
        expect({ command, single }).toEqual({ command, single: expect.stringMatching(/^A\d+ NO \[SERVERBUG\] [^\r\n]*damaged[^\r\n]*\r\n$/) });
      }
      // The intact first chunk of the big message is still served, exactly.
      const head = await imap.command('FETCH 4 BODY.PEEK[]<0.200>');
      expect(head.includes(Buffer.concat([Buffer.from('BODY[]<0> {200}\r\n'), MESSAGES[3].subarray(0, 200)]))).toBe(true);
      expect(head.toString('latin1')).toMatch(/A\d+ OK /);
      // SEARCH over bodies that must read the damaged ones (a two-character needle: too short for
      // the search index, so every body is read): a clear NO, not a BAD or a wrong answer.
      expect((await imap.command('SEARCH TEXT "q~"')).toString('latin1')).toMatch(/^A\d+ NO \[SERVERBUG\] [^\r\n]*damaged/m);
      // A needle the search index (built from the intact bytes at ingest) rules out everywhere reads
      // no body, damaged or not, and answers.
      expect((await imap.command('SEARCH TEXT "no-such-words-anywhere"')).toString('latin1')).toMatch(/^\* SEARCH\r\nA\d+ OK /m);
      // The session lives on.
      expect((await imap.command('NOOP')).toString('latin1')).toMatch(/^A\d+ OK/m);
    } finally {
      await imap.close();
    }
  });

  test('HTTP downloads: 500 naming the damage, never the wrong bytes; intact messages still download', async () => {
    const base = `http://127.0.0.1:${httpPort}/api/v1/accounts/${ACCOUNT}/days/${DAY}/folders/INBOX`;
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const damaged = await fetch(`${base}/messages/2.eml`, { headers });
    expect(damaged.status).toBe(500);
    expect(await damaged.text()).toMatch(/damaged/);
    const big = await fetch(`${base}/messages/4.eml`, { headers });
    expect(big.status).toBe(500);
    await big.text();
    const mbox = await fetch(`${base}.mbox`, { headers });
    expect(mbox.status).toBe(500);
    expect(await mbox.text()).toMatch(/UID 2, 4, 5 is damaged/);
    const intact = await fetch(`${base}/messages/3.eml`, { headers });
    expect(intact.status).toBe(200);
    expect(Buffer.from(await intact.arrayBuffer()).equals(MESSAGES[2])).toBe(true);
    const some = await fetch(`${base}.mbox?uids=1,3`, { headers });
    expect(some.status).toBe(200);
    await some.arrayBuffer();
  });

  test('damage is logged with the account and blob, and counted in /metrics', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const count = Number(/^mtm_blob_damage_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(count).toBeGreaterThanOrEqual(DAMAGED_UIDS.length);
    for (const uid of DAMAGED_UIDS) {
      const line = output.split('\n').find((candidate) => candidate.includes('stored message damaged') && candidate.includes(hashes.get(uid)!));
      expect(line).toBeDefined();
      expect(line).toContain(ACCOUNT);
    }
  });
});

test('mtm verify names every damaged blob and exits ≠ 0', async () => {
  const run = await runMtm(['verify', '-c', config]);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('✓ catalog:');
  for (const uid of DAMAGED_UIDS) expect(run.stdout).toMatch(new RegExp(`✗ ${ACCOUNT}: blob ${hashes.get(uid)} damaged: chunk \\d+ fails its checksum`));
  for (const uid of [1, 3]) expect(run.stdout).not.toContain(hashes.get(uid)!);
  expect(run.stdout).toContain(`${ACCOUNT}: 5 blobs checked, 3 damaged`);
});

test('mtm export refuses before writing anything, naming the damaged messages; the others export', async () => {
  const output = join(dir, 'export.mbox');
  const run = await runMtm(['export', '-c', config, '--account', ACCOUNT, '--day', DAY, '--folder', 'INBOX', '--format', 'mbox', '-o', output]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('message UID 2, 4, 5 is damaged; nothing was exported');
  expect(existsSync(output)).toBe(false);
  const intact = await runMtm(['export', '-c', config, '--account', ACCOUNT, '--day', DAY, '--folder', 'INBOX', '--uid', '3', '--format', 'eml', '-o', output]);
  expect(intact.code).toBe(0);
  expect(readFileSync(output).equals(MESSAGES[2])).toBe(true);
});

test('mtm restore writes the intact messages, skips the damaged ones, and says so in its output and the email', async () => {
  const live = await liveClient(ACCOUNT);
  try {
    await live.mailboxOpen('INBOX');
    await live.messageDelete('1:*');
    await live.mailboxClose();
  } finally {
    await live.logout();
  }
  const run = await runMtm(['restore', '-c', config, '--account', ACCOUNT, '--day', DAY, '--folder', 'INBOX']);
  expect(run.code).toBe(1);
  for (const uid of DAMAGED_UIDS) expect(run.stdout).toContain(`✗ INBOX UID ${uid}: skipped, its stored copy is damaged`);
  expect(run.stdout).toMatch(/2 restored, 0 already present, 0 failed, 3 skipped as damaged/);

  const check = await liveClient(ACCOUNT);
  try {
    await check.mailboxOpen('INBOX', { readOnly: true });
    const sources: Buffer[] = [];
    for await (const message of check.fetch('1:*', { source: true })) sources.push(message.source!);
    await check.mailboxClose();
    const restored = sources.filter((source) => !source.includes('X-MTM-Restore-Job:'));
    expect(restored.map((source) => MESSAGES.findIndex((original) => original.equals(source)) + 1).sort()).toEqual([1, 3]);
    const [notice] = await notices(check);
    expect(notice.text).toContain('3 messages were not restored: the stored copy in the snapshot is damaged');
    for (const uid of DAMAGED_UIDS) expect(notice.text).toContain(`INBOX, UID ${uid}`);
  } finally {
    await check.logout();
  }
}, 60_000);

describe('a damaged catalog page', () => {
  let damagedConfig: string;

  beforeAll(() => {
    const copyDir = join(dir, 'damaged-catalog');
    mkdirSync(join(copyDir, 'store'), { recursive: true });
    damagedConfig = writeConfig(copyDir, [ACCOUNT]);
    const catalog = join(copyDir, 'store', 'catalog.sqlite');
    // Every mtm process has exited, so the WAL is checkpointed into the main file.
    copyFileSync(join(storePath, 'catalog.sqlite'), catalog);
    if (existsSync(join(storePath, 'catalog.sqlite-wal'))) copyFileSync(join(storePath, 'catalog.sqlite-wal'), `${catalog}-wal`);
    const db = new Database(catalog, { readonly: true });
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'message_versions'").get() as { rootpage: number };
    db.close();
    // Garbage over the b-tree page header of the table every snapshot view reads.
    const fd = openSync(catalog, 'r+');
    writeSync(fd, Buffer.alloc(16, 0xee), 0, 16, (rootpage - 1) * pageSize);
    closeSync(fd);
  });

  test('mtm verify reports it and exits ≠ 0', async () => {
    const run = await runMtm(['verify', '-c', damagedConfig]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ catalog: .*catalog\.sqlite is damaged: .+restore catalog\.sqlite/);
  });

  test('mtm doctor reports it and exits ≠ 0', async () => {
    const run = await runMtm(['doctor', '-c', damagedConfig, '--json']);
    expect(run.code).toBe(1);
    const checks = JSON.parse(run.stdout) as { name: string; status: string; detail: string }[];
    const check = checks.find((candidate) => candidate.name === 'store catalog');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(/is damaged/) });
    expect(checks.filter((candidate) => candidate.status === 'fail').map((candidate) => candidate.name)).toEqual(['store catalog']);
  });
});
