/**
 * Issue 15: the message list stays fast on a 50,000-message folder — one page at a time, sorted and
 * searched on the server, never the whole folder sent to the browser. The folder is written
 * straight into a real store (500 distinct stored messages, each in 100 places), then listed through
 * the web API routes on a real HTTP listener.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/load.js';
import { startHttpServer, type HttpServer } from '../../../src/http/server.js';
import { webRoutes, WebSessions } from '../../../src/http/web/index.js';
import { silentLogger } from '../../../src/log.js';
import type { LoginService } from '../../../src/proxy/ports.js';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import type { MessageRecord } from '../../../src/snapshots/store/catalog.js';
import { openStore, type Store } from '../../../src/snapshots/store/store.js';
import { tempDir } from '../../fixtures/mtm.js';

const ACCOUNT = 'big-folder';
const DAY = '2026-11-20';
const COUNT = 50_000;
const DISTINCT = 500;
const TOKEN = 'admin-token-for-the-big-folder-test';

let dir: string;
let store: Store;
let server: HttpServer;

const refuseAll: LoginService = { login: async () => ({ ok: false, code: 'AUTHENTICATIONFAILED', text: 'no' }) };

beforeAll(async () => {
  dir = tempDir('web-big');
  store = await openStore({ path: join(dir, 'store') });
  const { capture } = await store.catalog.startCapture(ACCOUNT, DAY);
  const hashes: string[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const subject = i % 100 === 7 ? `needle ${i}` : `message ${String(i).padStart(3, '0')}`;
    const raw = Buffer.from(`From: Sender ${i} <s${i}@example.com>\r\nSubject: ${subject}\r\nDate: ${new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toUTCString()}\r\n\r\nbody ${i}\r\n`);
    const stored = await store.blobs.put(ACCOUNT, raw);
    const structure = await analyzeMessage(raw);
    await store.catalog.addBlobs(ACCOUNT, [{ blob: { hash: stored.hash, size: stored.size, storedBytes: stored.storedBytes }, structure, header: raw.subarray(0, structure.headerLength) }], capture);
    hashes.push(stored.hash);
  }
  const messages: MessageRecord[] = [];
  let bytes = 0;
  for (let uid = 1; uid <= COUNT; uid++) {
    const hash = hashes[uid % DISTINCT];
    const size = (await store.catalog.blobStructure(ACCOUNT, hash))!.size;
    bytes += size;
    messages.push({ uid, flags: [], internalDate: new Date(Date.UTC(2025, 0, 1) + uid * 60_000), size, blobHash: hash });
  }
  await store.catalog.recordFolder(capture, { name: 'INBOX', delimiter: '/', uidValidity: 1, uidNext: COUNT + 1, highestModseq: null, subscribed: true, specialUse: null, messages: COUNT, bytes }, messages);
  await store.catalog.commitCapture(capture);

  const config = validateConfig({ store: { path: join(dir, 'store') }, server: { allowPlaintextAuth: true }, recovery: { adminToken: TOKEN }, log: { level: 'silent' } });
  const routes = webRoutes({ config, store, loginService: refuseAll, sessions: new WebSessions(), logger: silentLogger });
  server = await startHttpServer({ host: '127.0.0.1', port: 0, store, config, logger: silentLogger, extraRoutes: routes });
}, 300000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function list(query: string): Promise<{ ms: number; bytes: number; json: { total: number; messages: Array<{ uid: number; subject: string }> } }> {
  const started = Date.now();
  const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/accounts/${ACCOUNT}/days/${DAY}/folders/INBOX/messages?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await response.text();
  expect(response.status).toBe(200);
  return { ms: Date.now() - started, bytes: Buffer.byteLength(text), json: JSON.parse(text) };
}

test('the newest 100 of 50,000 come back in one small page, quickly; the next page too', async () => {
  const first = await list('sort=arrival&limit=100');
  expect(first.json.total).toBe(COUNT);
  expect(first.json.messages.map((m) => m.uid)).toEqual(Array.from({ length: 100 }, (_, i) => COUNT - i));
  expect(first.bytes).toBeLessThan(64 * 1024);
  expect(first.ms).toBeLessThan(3000);
  const later = await list('sort=arrival&limit=100&offset=40000');
  expect(later.json.messages[0].uid).toBe(COUNT - 40000);
  expect(later.ms).toBeLessThan(1500);
});

test('sorting 50,000 by subject and searching them runs on the server; later pages reuse the order', async () => {
  const sorted = await list('sort=subject&order=asc&limit=50');
  expect(sorted.json.total).toBe(COUNT);
  expect(sorted.json.messages.every((m) => m.subject === 'message 000')).toBe(true);
  expect(sorted.ms).toBeLessThan(30000);
  const next = await list('sort=subject&order=asc&limit=50&offset=49950');
  // Compared as text: "needle 7" sorts after "needle 407".
  expect(next.json.messages.every((m) => m.subject === 'needle 7')).toBe(true);
  expect(next.ms).toBeLessThan(1500);

  const found = await list('sort=arrival&q=NEEDLE&limit=1000');
  // Subjects "needle 7", "needle 107" … "needle 407": 5 of the 500, each in 100 places.
  expect(found.json.total).toBe(500);
  expect(new Set(found.json.messages.map((m) => m.subject))).toEqual(new Set(['needle 7', 'needle 107', 'needle 207', 'needle 307', 'needle 407']));
  expect(found.ms).toBeLessThan(30000);
});
