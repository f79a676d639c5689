/**
 * Issue 4, HTTP acceptance, against the real Dovecot: wrong credentials → 401; one account can
 * neither see nor restore into another; days/folders/messages list with decoded From/Subject/Date;
 * .eml is the snapshot's exact bytes; a folder's mbox parses back; a restore is previewed,
 * submitted and followed to done over HTTP; a 30 MB message downloads as a stream.
 *
 * The streaming test runs the server in a child process (recovery-api-server.mjs) and samples that
 * process's RSS from /proc while a deliberately slow client downloads: in-process numbers would
 * mix in jest's own allocations and this file's buffers, a separate process measures only the server.
 */
import { RECENT_BYTES } from '../../../src/snapshots/store/s3/s3-blob-store.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { LiveLoginService } from '../../../src/auth/index.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { startHttpServer, type HttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/log.js';
import { parseMboxrd } from '../../../src/recovery/export.js';
import { recoveryRoutes } from '../../../src/http/api/recovery-api.js';
import { PathPattern } from '../../../src/http/router.js';
import { RecoveryService } from '../../../src/recovery/service.js';
import type { MessageRecord } from '../../../src/snapshots/store/catalog.js';
import { openStore, type Store } from '../../../src/snapshots/store/store.js';
import { snapshotViewFactory } from '../../../src/snapshots/view/snapshot-view.js';
import { appendAll, seededRandom } from '../../../src/testbed/corpus.js';
import { addUser, testbedFromEnv } from '../../../src/testbed/dovecot.js';
import { liveClient, runMtm, tempDir, writeConfig } from '../../fixtures/mtm.js';
import { deleteUids, LAYOUT, liveEntries, populate, TODAY } from '../../recovery/helpers.js';

const ANN = 'recovery-http-ann';
const BEN = 'recovery-http-ben';
const PASSWORD = { [ANN]: 'ann-pw-7', [BEN]: 'ben-pw-9' };
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const BIG_BYTES = 30 * 1024 * 1024;

const ENCODED = Buffer.from(
  'From: =?UTF-8?B?Wm/DqyBFeGFtcGxl?= <zoe@example.com>\r\nTo: ann@example.com\r\n' +
    'Subject: =?UTF-8?Q?Caf=C3=A9_r=C3=A9sum=C3=A9?=\r\nDate: Tue, 3 Nov 2026 09:15:00 +0100\r\nMessage-ID: <encoded@example.com>\r\n\r\nBonjour.\r\n',
);

/** About 30 MB of base64-looking lines: incompressible enough that the store keeps it big. */
function bigMessage(): Buffer {
  const random = seededRandom(99);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const line = (): string => Array.from({ length: 76 }, () => alphabet[Math.floor(random() * 64)]).join('');
  const lines = Array.from({ length: 4096 }, line);
  const head = 'From: Big <big@example.com>\r\nTo: ann@example.com\r\nSubject: thirty megabytes\r\nDate: Wed, 4 Nov 2026 10:00:00 +0000\r\nMessage-ID: <big@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
  const body: string[] = [];
  for (let size = head.length, i = 0; size < BIG_BYTES; i++) {
    const next = `${lines[(i * 7919) % lines.length]}\r\n`;
    body.push(next);
    size += next.length;
  }
  return Buffer.from(head + body.join(''));
}

let dir: string;
let configPath: string;
let config: Config;
let store: Store;
let recovery: RecoveryService;
let loginService: LiveLoginService;
let server: HttpServer;
let tlsOnlyServer: HttpServer;
let annLive: ImapFlow;
let benLive: ImapFlow;

interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function call(path: string, options: { as?: string; auth?: string; method?: string; body?: unknown; on?: HttpServer } = {}): Promise<Reply> {
  const authorization = options.auth ?? (options.as ? basic(options.as, PASSWORD[options.as as keyof typeof PASSWORD]) : undefined);
  const response = await fetch(`http://127.0.0.1:${(options.on ?? server).port}${path}`, {
    method: options.method ?? (options.body ? 'POST' : 'GET'),
    headers: { ...(authorization ? { authorization } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const body = Buffer.from(await response.arrayBuffer());
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, headers: response.headers, body, json: isJson ? JSON.parse(body.toString('utf8')) : undefined };
}

const api = (account: string, rest = ''): string => `/api/v1/accounts/${encodeURIComponent(account)}${rest}`;
const folderPath = (account: string, folder: string, rest = ''): string => api(account, `/days/${TODAY}/folders/${encodeURIComponent(folder)}${rest}`);

async function snapshotMessages(account: string, folder: string): Promise<MessageRecord[]> {
  const seq = (await store.catalog.captureForDay(account, TODAY))!;
  const record = (await store.catalog.folders(account, seq)).find((f) => f.name === folder)!;
  return store.catalog.messages(account, seq, folder, record.uidValidity);
}

beforeAll(async () => {
  const testbed = testbedFromEnv();
  addUser(testbed, ANN, PASSWORD[ANN]);
  addUser(testbed, BEN, PASSWORD[BEN]);
  annLive = await liveClient(ANN);
  benLive = await liveClient(BEN);
  await populate(annLive, 71);
  await appendAll(annLive, 'INBOX', [ENCODED], () => ['\\Seen'], () => new Date(Date.UTC(2026, 10, 3, 8, 15)));
  await appendAll(annLive, 'Big', [bigMessage()], () => [], () => new Date(Date.UTC(2026, 10, 4, 10)));
  await appendAll(benLive, 'INBOX', [Buffer.from('From: ben@example.com\r\nSubject: ben private\r\n\r\nmine\r\n')]);

  dir = tempDir('http-api');
  configPath = writeConfig(dir, [ANN, BEN], { server: { allowPlaintextAuth: true }, recovery: { adminToken: ADMIN_TOKEN } });
  expect((await runMtm(['snapshot', '-c', configPath, '--label', TODAY])).code).toBe(0);

  config = loadConfig(configPath);
  store = await openStore(config.store);
  recovery = new RecoveryService({ config, store });
  const { host, port, tls, rejectUnauthorized } = config.upstream;
  loginService = new LiveLoginService(snapshotViewFactory(store), { upstream: { host, port, tls, rejectUnauthorized }, failureDelayMs: 20 });
  const routes = (forConfig: Config) => recoveryRoutes({ config: forConfig, store, recovery, loginService, logger: silentLogger });
  server = await startHttpServer({ host: '127.0.0.1', port: 0, store, config, logger: silentLogger, extraRoutes: routes(config) });
  const tlsOnly: Config = { ...config, server: { ...config.server, allowPlaintextAuth: false } };
  tlsOnlyServer = await startHttpServer({ host: '127.0.0.1', port: 0, store, config: tlsOnly, logger: silentLogger, extraRoutes: routes(tlsOnly) });
}, 240000);

afterAll(async () => {
  await server?.close();
  await tlsOnlyServer?.close();
  await recovery?.close();
  await loginService?.close();
  await store?.close();
  await annLive?.logout();
  await benLive?.logout();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('wrong or missing credentials get 401 with a Basic challenge and a JSON error', async () => {
  for (const auth of [basic(ANN, 'not-the-password'), basic('nobody-here', 'x'), `Bearer ${'y'.repeat(32)}`, undefined]) {
    const reply = await call(api(ANN, '/days'), { auth });
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Basic realm="Mail Time Machine"/);
    expect(reply.json.error).toBe('unauthorized');
    expect(typeof reply.json.message).toBe('string');
  }
  expect((await call(api(ANN, '/days'), { as: ANN })).status).toBe(200);
});

test('without TLS, sign-in is refused with 403 unless server.allowPlaintextAuth is true', async () => {
  const refused = await call(api(ANN, '/days'), { as: ANN, on: tlsOnlyServer });
  expect(refused.status).toBe(403);
  expect(refused.json.error).toBe('tls-required');
  expect(refused.json.days).toBeUndefined();
  expect((await call(api(ANN, '/days'), { on: tlsOnlyServer })).status).toBe(403);
});

test('lists days, folders, and messages with From, Subject and Date decoded', async () => {
  const days = await call(api(ANN, '/days'), { as: ANN });
  expect(days.status).toBe(200);
  const today = days.json.days.find((d: { day: string }) => d.day === TODAY);
  const expectedCount = LAYOUT.reduce((sum, f) => sum + f.count, 0) + 2;
  expect(today).toMatchObject({ folders: LAYOUT.length + 1, messages: expectedCount });
  expect(today.bytes).toBeGreaterThan(BIG_BYTES);

  const folders = await call(api(ANN, `/days/${TODAY}/folders`), { as: ANN });
  expect(folders.json.folders.map((f: { name: string }) => f.name).sort()).toEqual([...LAYOUT.map((f) => f.folder), 'Big'].sort());
  expect(folders.json.folders.find((f: { name: string }) => f.name === 'Archive/Old').messages).toBe(4);

  const inbox = await call(folderPath(ANN, 'INBOX', '/messages'), { as: ANN });
  expect(inbox.status).toBe(200);
  const snapshot = await snapshotMessages(ANN, 'INBOX');
  expect(inbox.json.total).toBe(snapshot.length);
  expect(inbox.json.messages.map((m: { uid: number }) => m.uid)).toEqual(snapshot.map((m) => m.uid));
  const encoded = inbox.json.messages.find((m: { subject: string }) => m.subject === 'Café résumé');
  expect(encoded).toMatchObject({ from: [{ name: 'Zoë Example', address: 'zoe@example.com' }], date: '2026-11-03T08:15:00.000Z', flags: ['\\Seen'], internalDate: '2026-11-03T08:15:00.000Z', size: ENCODED.length });
  // Every message agrees with what Dovecot's own ENVELOPE says, as imapflow decodes it.
  await annLive.mailboxOpen('INBOX', { readOnly: true });
  const envelopes = new Map<number, { subject: string | null; from: { name: string | null; address: string | null }[] }>();
  for await (const m of annLive.fetch('1:*', { uid: true, envelope: true })) {
    envelopes.set(m.uid, { subject: m.envelope?.subject ?? null, from: (m.envelope?.from ?? []).map((a) => ({ name: a.name || null, address: a.address || null })) });
  }
  await annLive.mailboxClose();
  for (const m of inbox.json.messages) expect({ uid: m.uid, subject: m.subject, from: m.from }).toEqual({ uid: m.uid, ...envelopes.get(m.uid) });

  // A nested folder: "/" encoded or literal names the same folder.
  const encodedName = await call(folderPath(ANN, 'Archive/Old', '/messages'), { as: ANN });
  const literalName = await call(api(ANN, `/days/${TODAY}/folders/Archive/Old/messages`), { as: ANN });
  expect(encodedName.json.messages).toHaveLength(4);
  expect(literalName.json).toEqual(encodedName.json);
  const page = await call(folderPath(ANN, 'INBOX', '/messages?offset=2&limit=3'), { as: ANN });
  expect(page.json.messages.map((m: { uid: number }) => m.uid)).toEqual(snapshot.slice(2, 5).map((m) => m.uid));

  expect((await call(api(ANN, '/days/2001-01-01/folders'), { as: ANN })).json.error).toBe('no-snapshot');
  expect((await call(folderPath(ANN, 'Nope', '/messages'), { as: ANN })).status).toBe(404);
});

test('a .eml download is the snapshot blob byte for byte, as an attachment with its length', async () => {
  const [, second] = await snapshotMessages(ANN, 'Archive/Old');
  const reply = await call(folderPath(ANN, 'Archive/Old', `/messages/${second.uid}.eml`), { as: ANN });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe('message/rfc822');
  expect(reply.headers.get('content-disposition')).toMatch(/^attachment; filename="Old-.*\.eml"/);
  const blob = await store.blobs.readAll(ANN, second.blobHash);
  expect(Number(reply.headers.get('content-length'))).toBe(blob.length);
  expect(reply.body.equals(blob)).toBe(true);
  const missing = await call(folderPath(ANN, 'Archive/Old', '/messages/99999.eml'), { as: ANN });
  expect(missing.status).toBe(404);
  expect(missing.json.error).toBe('no-message');
});

test("a folder's mbox parses back to the snapshot's messages, From lines included", async () => {
  const reply = await call(folderPath(ANN, 'INBOX', '.mbox'), { as: ANN });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe('application/mbox');
  expect(reply.body.toString('latin1')).toContain('\n>From the start of a line');
  const snapshot = await snapshotMessages(ANN, 'INBOX');
  const parsed = parseMboxrd(reply.body);
  expect(parsed).toHaveLength(snapshot.length);
  for (let i = 0; i < snapshot.length; i++) expect(parsed[i].equals(await store.blobs.readAll(ANN, snapshot[i].blobHash))).toBe(true);
  const some = parseMboxrd((await call(folderPath(ANN, 'INBOX', `.mbox?uids=${snapshot[0].uid},${snapshot[3].uid}`), { as: ANN })).body);
  expect(some).toHaveLength(2);
});

test('paths: folder names over several segments, bad encoding, unknown paths and wrong methods', async () => {
  const messagesOf = new PathPattern('/api/v1/accounts/:account/days/:day/folders/*folder/messages');
  expect(messagesOf.match(['api', 'v1', 'accounts', 'a%40b', 'days', 'd', 'folders', 'x', 'messages', 'messages'])).toEqual({ account: 'a@b', day: 'd', folder: 'x/messages' });
  expect(messagesOf.match(['api', 'v1', 'accounts', 'a', 'days', 'd', 'folders', 'messages'])).toBeNull();
  expect(new PathPattern('/f/*folder.mbox').match(['f', 'Caf%C3%A9%2FOld.mbox'])).toEqual({ folder: 'Café/Old' });

  expect(await call(api(ANN, `/days/${TODAY}/folders/%E0%A4%A/messages`), { as: ANN })).toMatchObject({ status: 400, json: { error: 'bad-path' } });
  expect(await call('/api/v1/nothing-here', { as: ANN })).toMatchObject({ status: 404, json: { error: 'not-found' } });
  const wrongMethod = await call(api(ANN, '/days'), { as: ANN, method: 'DELETE' });
  expect(wrongMethod).toMatchObject({ status: 405, json: { error: 'method-not-allowed' } });
  expect(wrongMethod.headers.get('allow')).toBe('GET');
  const [first] = await snapshotMessages(ANN, 'INBOX');
  const head = await call(folderPath(ANN, 'INBOX', `/messages/${first.uid}.eml`), { as: ANN, method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(Number(head.headers.get('content-length'))).toBe((await store.blobs.readAll(ANN, first.blobHash)).length);
  expect(head.body.length).toBe(0);
});

test('a restore is previewed, submitted (202) and followed over HTTP until done; the messages are back', async () => {
  const before = await liveEntries(annLive, 'Projects');
  // Expunging also takes away messages that were flagged \Deleted; all of them are missing now.
  await deleteUids(annLive, 'Projects', before.slice(0, 2).map((e) => e.uid));
  const missing = before.length - (await liveEntries(annLive, 'Projects')).length;
  expect(missing).toBeGreaterThanOrEqual(2);

  const preview = await call(api(ANN, '/restores/preview'), { as: ANN, body: { day: TODAY, folder: 'Projects' } });
  expect(preview.status).toBe(200);
  expect(preview.json.preview).toMatchObject({ messages: before.length, toRestore: missing, alreadyPresent: before.length - missing });
  expect(await liveEntries(annLive, 'Projects')).toHaveLength(before.length - missing);

  const submitted = await call(api(ANN, '/restores'), { as: ANN, body: { day: TODAY, folder: 'Projects', mode: 'merge' } });
  expect(submitted.status).toBe(202);
  expect(submitted.headers.get('location')).toBe(submitted.json.statusUrl);
  let status = (await call(submitted.json.statusUrl, { as: ANN })).json;
  for (let i = 0; i < 600 && !['done', 'failed'].includes(status.status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await call(submitted.json.statusUrl, { as: ANN })).json;
  }
  expect(status).toMatchObject({ id: submitted.json.jobId, status: 'done', day: TODAY, mode: 'merge', result: { restored: missing, alreadyPresent: before.length - missing, failed: 0 } });
  expect(status.progress.percent).toBe(100);
  // Back with their flags (a restore never sets \Deleted) and INTERNALDATE.
  const comparable = (entries: { key: string; flags: string[]; internalDate: string }[]) =>
    entries.map(({ key, flags, internalDate }) => ({ key, flags: flags.filter((f) => f !== '\\Deleted'), internalDate }));
  expect(comparable(await liveEntries(annLive, 'Projects'))).toEqual(comparable(before));

  const list = await call(api(ANN, '/restores'), { as: ANN });
  expect(list.json.restores.map((r: { id: string }) => r.id)).toContain(submitted.json.jobId);

  const outside = await call(api(ANN, '/restores'), { as: ANN, body: { day: '2001-01-01' } });
  expect(outside.status).toBe(422);
  expect(outside.json).toMatchObject({ error: 'outside-retention', advice: expect.any(String) });
  expect(outside.json.message).toContain('2001-01-01');
  const malformed = await call(api(ANN, '/restores'), { as: ANN, body: { day: TODAY, uids: [1] } });
  expect(malformed).toMatchObject({ status: 422, json: { error: 'bad-request' } });
});

test('one account can neither read nor restore into another; the admin token can act for any', async () => {
  const benInboxBefore = await liveEntries(benLive, 'INBOX', { withNotices: true });
  const [benMessage] = await snapshotMessages(BEN, 'INBOX');
  const attempts: [string, unknown?][] = [
    [api(BEN, '/days')],
    [api(BEN, `/days/${TODAY}/folders`)],
    [folderPath(BEN, 'INBOX', '/messages')],
    [folderPath(BEN, 'INBOX', `/messages/${benMessage.uid}.eml`)],
    [folderPath(BEN, 'INBOX', '.mbox')],
    [api(BEN, '/restores')],
    [api(BEN, '/restores/preview'), { day: TODAY }],
    [api(BEN, '/restores'), { day: TODAY, folder: 'INBOX' }],
  ];
  for (const [path, body] of attempts) {
    const reply = await call(path, { as: ANN, body });
    expect([path, reply.status, reply.json.error]).toEqual([path, 403, 'forbidden']);
    expect(reply.body.toString()).not.toContain('ben private');
  }
  // Ann's own job, asked for under Ben's name with Ben's credentials, is not found.
  const [annJob] = await recovery.jobs.list(ANN);
  expect((await call(api(BEN, `/restores/${annJob.id}`), { as: BEN })).status).toBe(404);
  expect((await call(api(ANN, `/restores/${annJob.id}`), { as: BEN })).status).toBe(403);
  expect(await recovery.jobs.list(BEN)).toEqual([]);
  expect(await liveEntries(benLive, 'INBOX', { withNotices: true })).toEqual(benInboxBefore);

  const admin = await call(folderPath(BEN, 'INBOX', '/messages'), { auth: `Bearer ${ADMIN_TOKEN}` });
  expect(admin.status).toBe(200);
  expect(admin.json.messages[0].subject).toBe('ben private');
});

/** VmRSS of a process, in bytes (Linux). */
function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

/** Downloads slowly (a pause per chunk), so a server that ignored back-pressure would pile the message up in memory. */
function slowDownload(port: number, path: string, authorization: string): Promise<{ status: number; length: number; sha256: string; contentLength: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { authorization } }, (res) => {
      const hash = createHash('sha256');
      let length = 0;
      (async () => {
        for await (const chunk of res) {
          hash.update(chunk as Buffer);
          length += (chunk as Buffer).length;
          await new Promise((done) => setTimeout(done, 1));
        }
        resolve({ status: res.statusCode ?? 0, length, sha256: hash.digest('hex'), contentLength: res.headers['content-length'] });
      })().catch(reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('a 30 MB message downloads as a stream: the server process grows by far less than its size', async () => {
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', join('test', 'http', 'api', 'recovery-api-server.mjs'), configPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // Frequent GC and a fixed malloc mmap threshold make RSS show what the server holds: without
    // them it shows freed 256 KB blob chunks that the collector or glibc has not handed back yet.
    env: { ...process.env, MTM_TEST_GC_MS: '20', MALLOC_MMAP_THRESHOLD_: '65536' },
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += chunk;
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
    });
    const [big] = await snapshotMessages(ANN, 'Big');
    expect(big.size).toBeGreaterThanOrEqual(BIG_BYTES);
    const auth = basic(ANN, PASSWORD[ANN]);
    const path = folderPath(ANN, 'Big', `/messages/${big.uid}.eml`);
    let peak = 0;
    const measured = async <T>(work: Promise<T>): Promise<T> => {
      peak = rssOf(child.pid!);
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 10);
      try {
        return await work;
      } finally {
        clearInterval(sampler);
        peak = Math.max(peak, rssOf(child.pid!));
      }
    };
    // The reference is a small download through the same path: every request signs in again, and
    // the login cache's scrypt takes 16 MB for a moment — a cost per request, not per byte.
    const [small] = await snapshotMessages(ANN, 'INBOX');
    expect((await slowDownload(port, folderPath(ANN, 'INBOX', `/messages/${small.uid}.eml`), auth)).status).toBe(200);
    expect((await measured(slowDownload(port, folderPath(ANN, 'INBOX', `/messages/${small.uid}.eml`), auth))).status).toBe(200);
    const reference = peak;
    // Blobs on S3 keep up to RECENT_BYTES of what the integrity check fetched, for the read that
    // follows it (s3-blob-store.ts), by design: that much more is allowed there.
    const STREAMING_BOUND = 15 * 1024 * 1024 + (process.env.MTM_TEST_STORE === 'postgres-s3' ? RECENT_BYTES : 0);

    const download = await measured(slowDownload(port, path, auth));
    const blob = await store.blobs.readAll(ANN, big.blobHash);
    expect(download).toEqual({ status: 200, length: blob.length, sha256: createHash('sha256').update(blob).digest('hex'), contentLength: String(blob.length) });
    expect(peak - reference).toBeLessThan(STREAMING_BOUND);

    // The folder as mbox streams the same way (no From lines to quote in base64, so one more line: the separator).
    const mbox = await measured(slowDownload(port, folderPath(ANN, 'Big', '.mbox'), auth));
    expect(mbox.status).toBe(200);
    expect(mbox.length).toBeGreaterThan(blob.length);
    expect(peak - reference).toBeLessThan(STREAMING_BOUND);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}, 180000);
