/**
 * Issue 15 acceptance: the web interface in Debian's Chromium (playwright-core) against a real
 * `mtm serve` over the test Dovecot. Sign-in (wrong password, lockout after 10 failures), day →
 * unsubscribed folder → message, hostile HTML that must neither run nor call out, "What changed",
 * .eml and mbox downloads compared with Dovecot's own bytes, restore with preview and live
 * progress, a denied restore, CSRF, and another account's data by URL.
 *
 * With MTM_WEB_SCREENSHOTS=1 the walk-through also saves docs/screenshots/*.png for the README.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ImapFlow } from 'imapflow';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseMboxrd } from '../../src/recovery/export.js';
import { addDays, dayIn } from '../../src/snapshots/day-label.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { launchChromium } from '../fixtures/browser.js';
import { liveClient, liveMessages, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const ANN = 'web-ui-ann';
const BEN = 'web-ui-ben';
const LOCKED = 'web-ui-locked';
const PASSWORD: Record<string, string> = { [ANN]: 'ann-web-pw-1', [BEN]: 'ben-web-pw-2', [LOCKED]: 'locked-web-pw-3' };
const TODAY = dayIn('UTC');
const YESTERDAY = addDays(TODAY, -1);
const SCREENSHOTS = process.env.MTM_WEB_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'screenshots') : null;
const RECEIVED = new Date(Date.UTC(2026, 9, 14, 9, 30, 0));

let dir: string;
let serve: ChildProcess;
let base: string;
let browser: Browser;
let remote: Server;
let remoteBase: string;
const remoteHits: string[] = [];

function message(subject: string, body: string, extraHeaders = ''): Buffer {
  return Buffer.from(`From: Carla Sender <carla@example.com>\r\nTo: ${ANN}@example.com\r\nSubject: ${subject}\r\nDate: Wed, 14 Oct 2026 09:29:00 +0000\r\nMessage-ID: <${subject.replace(/\W+/g, '.')}@example.com>\r\n${extraHeaders}\r\n${body}`);
}

function hostileMessage(remoteUrl: string): Buffer {
  const html =
    `<html><head><style>body { background: url(${remoteUrl}/style-tag.png) }</style></head><body>` +
    `<p>Readable hostile body text</p>` +
    `<script>fetch('${remoteUrl}/script-ran'); document.title = 'pwned';</script>` +
    `<img src="x" onerror="fetch('${remoteUrl}/onerror-ran')">` +
    `<a id="jslink" href="javascript:fetch('${remoteUrl}/jslink-ran')">Click me</a>` +
    `<div style="background-image: url('${remoteUrl}/css-bg.png')">Styled block</div>` +
    `<img alt="tracker" src="${remoteUrl}/remote.png">` +
    `</body></html>`;
  return message('Hostile newsletter', `${html}\r\n`, 'MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n');
}

/**
 * Ways mail HTML tries to run script or call a remote host: scripts, event handlers, javascript:
 * URLs, frames and objects, style sheets, CSS url()/image-set()/escapes, srcset, protocol-relative
 * and backslashed URLs, legacy background/poster attributes, meta refresh, forms, <base>, and the
 * known DOMPurify mutation-XSS shapes. `R` is the remote base, `H` its host:port.
 */
const HOSTILE_VECTORS: Array<(r: string, h: string) => string> = [
  (r) => `<script>fetch('${r}/v-script')</script>`,
  (r) => `<img src=x onerror="fetch('${r}/v-onerror')">`,
  (r) => `<svg onload="fetch('${r}/v-svg')"><circle r="1"/></svg>`,
  (r) => `<body onload="fetch('${r}/v-body')">`,
  (r) => `<a href="javascript:fetch('${r}/v-js')">js link</a>`,
  (r) => `<a href="  JaVaScRiPt:fetch('${r}/v-js2')">js link 2</a>`,
  (r) => `<iframe src="${r}/v-iframe"></iframe>`,
  (r) => `<object data="${r}/v-object"></object><embed src="${r}/v-embed">`,
  (r) => `<link rel="stylesheet" href="${r}/v-link.css">`,
  (r) => `<style>@import url(${r}/v-import.css); div { background: url("${r}/v-style-bg.png") }</style>`,
  (r) => `<div style="background-image: url(${r}/v-inline-bg.png)">bg</div>`,
  (r) => `<div style="background: u\\72l(${r}/v-escaped.png)">escaped</div>`,
  (r) => `<div style="background-image: image-set('${r}/v-image-set.png' 1x)">set</div>`,
  (r) => `<img srcset="${r}/v-srcset1.png 1x, ${r}/v-srcset2.png 2x">`,
  (_r, h) => `<img src="//${h}/v-protocol-relative.png">`,
  (_r, h) => `<img src="http:\\\\${h}/v-backslash.png">`,
  (r) => `<table background="${r}/v-table.png"><tr><td>cell</td></tr></table>`,
  (r) => `<video poster="${r}/v-poster.png"></video><audio src="${r}/v-audio" autoplay></audio>`,
  (r) => `<meta http-equiv="refresh" content="0;url=${r}/v-refresh">`,
  (r) => `<form action="${r}/v-form"><input type="image" src="${r}/v-input.png"></form>`,
  (r) => `<base href="${r}/"><img src="v-relative.png">`,
  (r) => `<math><mtext><table><mglyph><style><img src=x onerror="fetch('${r}/v-mxss1')">`,
  (r) => `<noscript><p title="</noscript><img src=x onerror=fetch('${r}/v-mxss2')>"></noscript>`,
  (r) => `<IMG SRC="${r}/v-upper.png" LOADING="lazy">`,
  (r) => `<div style="list-style-image: url('${r}/v-list.png'); cursor: url(${r}/v-cursor.cur), auto">list</div>`,
];
const GENERATED_HOSTILE = 12;

/** Generated hostile messages: each a random choice of at least four vectors, in random order. */
function generatedHostile(remoteUrl: string): Buffer[] {
  const host = new URL(remoteUrl).host;
  const choices = fc.sample(fc.shuffledSubarray(HOSTILE_VECTORS.map((_, index) => index), { minLength: 4 }), { numRuns: GENERATED_HOSTILE, seed: 15 });
  return choices.map((picked, n) => {
    const html = `<html><body><p>Readable sample ${n}</p>${picked.map((index) => HOSTILE_VECTORS[index](remoteUrl, host)).join('\r\n')}</body></html>`;
    return message(`Hostile sample ${n}`, `${html}\r\n`, 'MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n');
  });
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function pictureMessage(): Buffer {
  const body =
    '--outer\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n' +
    '--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See the picture: <img id="pic" alt="inline picture" src="cid:pic1@example.com"></p>\r\n' +
    `--rel\r\nContent-Type: image/png\r\nContent-ID: <pic1@example.com>\r\nContent-Transfer-Encoding: base64\r\n\r\n${PNG}\r\n--rel--\r\n` +
    '--outer\r\nContent-Type: text/plain; name="notes.txt"\r\nContent-Disposition: attachment; filename="notes.txt"\r\n\r\nattached notes\r\n--outer--\r\n';
  return message('With picture', body, 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n');
}

async function withLive<T>(account: string, work: (live: ImapFlow) => Promise<T>): Promise<T> {
  const live = await liveClient(account);
  try {
    return await work(live);
  } finally {
    await live.logout().catch(() => undefined);
  }
}

async function deleteBySubject(live: ImapFlow, folder: string, subjects: string[] | 'all'): Promise<void> {
  await live.mailboxOpen(folder);
  const uids: number[] = [];
  for await (const entry of live.fetch('1:*', { uid: true, envelope: true })) {
    if (subjects === 'all' || subjects.includes(entry.envelope?.subject ?? '')) uids.push(entry.uid);
  }
  if (uids.length > 0) await live.messageDelete(uids.join(','), { uid: true });
  await live.mailboxClose();
}

beforeAll(async () => {
  remote = createServer((req, res) => {
    remoteHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(PNG, 'base64'));
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  remoteBase = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;

  const testbed = testbedFromEnv();
  for (const user of [ANN, BEN, LOCKED]) addUser(testbed, user, PASSWORD[user]);
  await withLive(ANN, async (live) => {
    for (let i = 1; i <= 4; i++) await live.append('INBOX', message(`Plain note ${i}`, `Plain body number ${i}.\r\n`), ['\\Seen'], RECEIVED);
    await live.append('INBOX', hostileMessage(remoteBase), [], RECEIVED);
    await live.append('INBOX', pictureMessage(), [], RECEIVED);
    await live.mailboxCreate('Hostile');
    for (const raw of generatedHostile(remoteBase)) await live.append('Hostile', raw, [], RECEIVED);
    await live.mailboxCreate('Hidden Stuff');
    await live.mailboxUnsubscribe('Hidden Stuff');
    await live.append('Hidden Stuff', message('Secret unsubscribed note', 'From the start of a line\r\nnothing else\r\n'), ['\\Flagged'], RECEIVED);
    await live.append('Hidden Stuff', message('Second hidden note', 'two\r\n'), [], new Date(Date.UTC(2026, 9, 15)));
    await live.mailboxCreate('Projects');
    await live.mailboxSubscribe('Projects');
    await live.append('Projects', message('Project alpha', 'alpha\r\n'), ['\\Seen', '\\Flagged'], new Date(Date.UTC(2025, 2, 3, 4, 5, 6)));
    await live.append('Projects', message('Project beta', 'beta\r\n'), ['$Label1'], new Date(Date.UTC(2025, 6, 8, 9, 10, 11)));
    await live.append('Projects', message('Project gamma', 'gamma\r\n'), ['\\Answered', '\\Seen'], new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
  });
  await withLive(BEN, (live) => live.append('INBOX', message("Ben's private letter", 'for Ben only\r\n'), [], RECEIVED).then(() => undefined));
  await withLive(LOCKED, (live) => live.append('INBOX', message('Locked note', 'x\r\n'), [], RECEIVED).then(() => undefined));

  dir = tempDir('web-ui');
  const config = writeConfig(dir, [ANN, BEN, LOCKED], {
    server: { host: '127.0.0.1', port: 0, allowPlaintextAuth: true },
    http: { host: '127.0.0.1', port: 0 },
    auth: { failureDelayMs: 50 },
    recovery: { maxPerDay: 1 },
    log: { level: 'warn' },
  });
  await withLive(ANN, async (live) => {
    await live.mailboxCreate('Old Plans');
    await live.mailboxSubscribe('Old Plans');
    await live.append('Old Plans', message('An old plan', 'plan\r\n'), [], RECEIVED);
  });
  expect((await runMtm(['snapshot', '-c', config, '--label', YESTERDAY])).code).toBe(0);
  await withLive(ANN, async (live) => {
    await live.append('INBOX', message('Arrived today', 'new\r\n'), [], RECEIVED);
    await live.mailboxDelete('Old Plans');
  });
  expect((await runMtm(['snapshot', '-c', config, '--label', TODAY])).code).toBe(0);
  // Since the snapshot: two notes deleted from INBOX, and Projects emptied (for the restore).
  await withLive(ANN, async (live) => {
    await deleteBySubject(live, 'INBOX', ['Plain note 2', 'Plain note 3']);
    await deleteBySubject(live, 'Projects', 'all');
  });

  serve = startMtm(['serve', '-c', config]);
  base = await new Promise<string>((resolve, reject) => {
    let output = '';
    serve.stderr!.on('data', (chunk) => {
      output += chunk;
      const found = /web interface on (http:\/\/[^\s]+\/)/.exec(output);
      if (found) resolve(found[1].replace(/\/$/, ''));
    });
    serve.once('exit', (code) => reject(new Error(`mtm serve exited (${code}): ${output}`)));
  });
  browser = await launchChromium();
}, 240000);

afterAll(async () => {
  await browser?.close();
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
  await new Promise((resolve) => remote?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Session {
  context: BrowserContext;
  page: Page;
  requests: string[];
  dialogs: string[];
}

async function openSession(viewport = { width: 1280, height: 800 }): Promise<Session> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const requests: string[] = [];
  const dialogs: string[] = [];
  context.on('request', (request) => requests.push(`${request.url()} FROM ${request.frame().url().slice(0, 30)}`));
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${base}/`);
  return { context, page, requests, dialogs };
}

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signedInAs(user: string): Promise<Session> {
  const session = await openSession();
  await signIn(session.page, user, PASSWORD[user]);
  await session.page.getByRole('button', { name: 'Sign out' }).waitFor();
  return session;
}

async function openFolder(page: Page, day: string, folder: string): Promise<void> {
  await page.getByRole('button', { name: new RegExp(day) }).click();
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: new RegExp(`^${folder}\\b`) }).click();
  await page.getByRole('heading', { name: new RegExp(`^${folder}`) }).waitFor();
}

async function shoot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

const bodyFrame = (page: Page) => page.frameLocator('iframe[title="Message body"]');

test('the page and its files carry a strict CSP and the right cache headers', async () => {
  const page = await fetch(`${base}/`);
  expect(page.status).toBe(200);
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(page.headers.get('cache-control')).toBe('no-cache');
  const html = await page.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
  expect(html).not.toMatch(/https?:\/\//);
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
  const script = await fetch(`${base}${asset}`);
  expect(script.status).toBe(200);
  expect(script.headers.get('cache-control')).toContain('immutable');
});

test('a wrong password keeps the form with a clear error; the right one signs in with a safe cookie; sign out ends the session', async () => {
  const { context, page } = await openSession();
  await signIn(page, ANN, 'not-the-password');
  await page.getByRole('alert').filter({ hasText: /wrong username or password/i }).waitFor();
  expect(await page.getByLabel('Username').isVisible()).toBe(true);
  expect(await page.getByLabel('Password').inputValue()).toBe('');

  await signIn(page, ANN, PASSWORD[ANN]);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ name: 'mtm_session', httpOnly: true, sameSite: 'Strict' });
  expect(cookie.value).not.toContain(PASSWORD[ANN]);
  // Nothing the page can read holds the password.
  const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
  expect(stored).not.toContain(PASSWORD[ANN]);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const after = await context.request.get(`${base}/api/v1/accounts/${ANN}/timeline`);
  expect(after.status()).toBe(401);
  await context.close();
});

test('ten failed sign-ins lock the account out, even with the right password', async () => {
  const { context, page } = await openSession();
  await signIn(page, LOCKED, 'wrong-1');
  await page.getByRole('alert').filter({ hasText: /wrong username or password/i }).waitFor();
  for (let i = 2; i <= 10; i++) {
    const reply = await context.request.post(`${base}/api/v1/session`, { data: { username: LOCKED, password: `wrong-${i}` } });
    expect(reply.status()).toBe(401);
  }
  await signIn(page, LOCKED, PASSWORD[LOCKED]);
  await page.getByRole('alert').filter({ hasText: /too many failed/i }).waitFor();
  expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  await context.close();
});

test('days with counts and changes; an unsubscribed folder; a message opened', async () => {
  const { context, page } = await signedInAs(ANN);
  const days = page.getByRole('navigation', { name: 'Days' }).getByRole('button');
  expect(await days.allTextContents()).toEqual([expect.stringContaining(TODAY), expect.stringContaining(YESTERDAY)]);
  // One message arrived, and the folder "Old Plans" (one message) was deleted.
  expect(await days.first().textContent()).toMatch(/\+1 new, −1 gone/);
  await shoot(page, 'day-picker');

  await openFolder(page, TODAY, 'Hidden Stuff');
  const folderButton = page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Hidden Stuff/ });
  expect(await folderButton.textContent()).toContain('not subscribed');
  await page.getByRole('row', { name: /Secret unsubscribed note/ }).waitFor();
  expect(await page.getByRole('row', { name: /Second hidden note/ }).count()).toBe(1);
  await shoot(page, 'folder-list');

  await page.getByRole('link', { name: 'Secret unsubscribed note' }).click();
  await bodyFrame(page).locator('body').filter({ hasText: 'From the start of a line' }).waitFor();
  // Yesterday still has the folder deleted since, marked as such; today's tree does not.
  await page.getByRole('button', { name: new RegExp(YESTERDAY) }).click();
  const oldPlans = page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^Old Plans/ });
  expect(await oldPlans.textContent()).toContain('deleted since');
  await page.getByRole('button', { name: new RegExp(TODAY) }).click();
  // Yesterday's tree has an INBOX too: wait for today's tree (without the folder) rather than for INBOX.
  await oldPlans.waitFor({ state: 'detached', timeout: 15_000 });
  await page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^INBOX/ }).waitFor();
  expect(await oldPlans.count()).toBe(0);
  await openFolder(page, TODAY, 'Hidden Stuff');
  await page.getByRole('link', { name: 'Secret unsubscribed note' }).click();
  await bodyFrame(page).locator('body').filter({ hasText: 'From the start of a line' }).waitFor();
  const sandbox = await page.locator('iframe[title="Message body"]').getAttribute('sandbox');
  expect(sandbox).not.toBeNull();
  expect(sandbox).not.toContain('allow-scripts');
  expect(sandbox).not.toContain('allow-same-origin');
  await context.close();
});

test('hostile HTML: no script runs, nothing is fetched from the remote host, the text is readable', async () => {
  const { context, page, requests, dialogs } = await signedInAs(ANN);
  remoteHits.length = 0;
  await openFolder(page, TODAY, 'INBOX');
  await page.getByRole('link', { name: 'Hostile newsletter' }).click();
  const body = bodyFrame(page).locator('body');
  await body.filter({ hasText: 'Readable hostile body text' }).waitFor();
  expect(await body.textContent()).toContain('Styled block');
  await page.getByText(/remote images? blocked/).waitFor();
  // The javascript: link lost its target; clicking it does nothing.
  const link = bodyFrame(page).locator('a', { hasText: 'Click me' });
  expect((await link.getAttribute('href')) ?? '').not.toMatch(/javascript:/i);
  await link.dispatchEvent('click');
  await shoot(page, 'message');
  await page.waitForTimeout(1500);
  const remoteHost = new URL(remoteBase).host;
  expect(requests.filter((url) => url.includes(remoteHost))).toEqual([]);
  expect(remoteHits).toEqual([]);
  expect(dialogs).toEqual([]);
  expect(await page.title()).toBe('Mail Time Machine');

  // The block is real: asked for, the remote image loads — but still no script runs.
  await page.getByRole('button', { name: 'Show remote images' }).click();
  await page.waitForTimeout(1500);
  expect(remoteHits).toContain('/remote.png');
  expect(remoteHits.filter((hit) => /ran/.test(hit))).toEqual([]);
  await context.close();
});

test('generated hostile HTML (scripts, handlers, frames, CSS tricks, mXSS shapes): nothing runs, nothing leaves', async () => {
  const { context, page, requests, dialogs } = await signedInAs(ANN);
  remoteHits.length = 0;
  await openFolder(page, TODAY, 'Hostile');
  for (let n = 0; n < GENERATED_HOSTILE; n++) {
    await page.getByRole('link', { name: `Hostile sample ${n}`, exact: true }).click();
    await bodyFrame(page).locator('body').filter({ hasText: `Readable sample ${n}` }).waitFor();
    await page.waitForTimeout(250);
    await page.getByRole('button', { name: 'Back to the list' }).click();
  }
  await page.waitForTimeout(1000);
  const remoteHost = new URL(remoteBase).host;
  expect(remoteHits).toEqual([]);
  expect(requests.filter((url) => url.includes(remoteHost))).toEqual([]);
  expect(dialogs).toEqual([]);
  expect(page.url()).toBe(`${base}/`);
  await context.close();
});

test('cid: images show inline and attachments download', async () => {
  const { context, page } = await signedInAs(ANN);
  await openFolder(page, TODAY, 'INBOX');
  await page.getByRole('link', { name: 'With picture' }).click();
  const picture = bodyFrame(page).locator('#pic');
  await picture.waitFor();
  expect(await picture.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
  expect(await picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'notes.txt' }).click()]);
  expect(readFileSync((await download.path())!, 'utf8')).toBe('attached notes');
  await context.close();
});

test('search within the day: sender, subject and body through the SEARCH engine; sort and pages', async () => {
  const { context, page } = await signedInAs(ANN);
  await openFolder(page, TODAY, 'INBOX');
  const subjects = () => page.locator('table.messages tbody td.subject a').allTextContents();
  /** The list once it shows `expected` (pages answer asynchronously), or the last one seen. */
  const listed = async (expected: string[]): Promise<string[]> => {
    let seen: string[] = [];
    for (const deadline = Date.now() + 10000; Date.now() < deadline; await page.waitForTimeout(100)) {
      seen = (await page.getByText('Loading…').count()) > 0 ? [] : await subjects();
      if (JSON.stringify(seen) === JSON.stringify(expected)) break;
    }
    return seen;
  };
  const search = async (text: string) => {
    await page.getByLabel('Search this folder').fill(text);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
  };
  await search('body number 4');
  expect(await listed(['Plain note 4'])).toEqual(['Plain note 4']);
  await search('hostile newsLETTER');
  expect(await listed(['Hostile newsletter'])).toEqual(['Hostile newsletter']);
  await search('no such words anywhere');
  await page.getByText('No messages.').waitFor();
  expect(await subjects()).toEqual([]);
  await page.getByRole('button', { name: 'Clear search' }).click();

  await page.getByLabel('Sort by').selectOption('subject');
  await page.getByLabel('Order').selectOption('asc');
  const bySubject = ['Arrived today', 'Hostile newsletter', 'Plain note 1', 'Plain note 2', 'Plain note 3', 'Plain note 4', 'With picture'];
  expect(await listed(bySubject)).toEqual(bySubject);
  await page.getByLabel('Order').selectOption('desc');
  expect(await listed([...bySubject].reverse())).toEqual([...bySubject].reverse());

  const page2 = await context.request.get(`${base}/api/v1/accounts/${ANN}/days/${TODAY}/folders/INBOX/messages?sort=size&order=asc&offset=2&limit=3`);
  const json = await page2.json();
  const all = await (await context.request.get(`${base}/api/v1/accounts/${ANN}/days/${TODAY}/folders/INBOX/messages?sort=size&order=asc`)).json();
  expect(all.total).toBe(7);
  const sizes = all.messages.map((entry: { size: number }) => entry.size);
  expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
  expect(json.messages.map((entry: { uid: number }) => entry.uid)).toEqual(all.messages.slice(2, 5).map((entry: { uid: number }) => entry.uid));
  expect((await context.request.get(`${base}/api/v1/accounts/${ANN}/days/${TODAY}/folders/INBOX/messages?sort=colour`)).status()).toBe(400);
  await context.close();
});

test('"What changed" lists exactly the messages deleted on the live server since that day', async () => {
  const { context, page } = await signedInAs(ANN);
  await openFolder(page, TODAY, 'INBOX');
  await page.getByRole('button', { name: 'What changed' }).click();
  const view = page.getByRole('region', { name: 'What changed' });
  await view.getByText(/no longer in your mailbox/).waitFor();
  const subjects = await view.locator('tbody td.subject').allTextContents();
  expect(subjects.sort()).toEqual(['Plain note 2', 'Plain note 3']);
  // Yesterday's INBOX lacked "Arrived today"; the same two are gone from it.
  await context.close();
});

test('Download .eml is Dovecot\'s BODY.PEEK[] byte for byte; Download mbox parses back into the folder', async () => {
  const { context, page } = await signedInAs(ANN);
  await openFolder(page, TODAY, 'INBOX');
  await page.getByRole('link', { name: 'Plain note 4' }).click();
  const [eml] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download .eml' }).click()]);
  const downloaded = readFileSync((await eml.path())!);
  const live = await withLive(ANN, (client) => liveMessages(client, 'INBOX', true));
  const expected = live.find((entry) => entry.source!.includes('Subject: Plain note 4\r\n'))!.source!;
  expect(downloaded.equals(expected)).toBe(true);
  await page.getByRole('button', { name: 'View source' }).click();
  expect(await page.locator('pre.source').textContent()).toBe(expected.toString('utf8'));
  await page.getByRole('button', { name: 'Hide source' }).click();

  await openFolder(page, TODAY, 'Hidden Stuff');
  const [mbox] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download mbox' }).click()]);
  const parsed = parseMboxrd(readFileSync((await mbox.path())!));
  const hidden = await withLive(ANN, (client) => liveMessages(client, 'Hidden Stuff', true));
  expect(parsed.map((entry) => entry.toString('latin1'))).toEqual(hidden.map((entry) => entry.source!.toString('latin1')));
  await context.close();
});

test('restore with preview: messages back with flags and INTERNALDATE, progress 100 %, confirmation email; then a denied one shows why', async () => {
  const before = await withLive(ANN, (client) => liveMessages(client, 'Projects', true));
  expect(before).toHaveLength(0);
  const { context, page } = await signedInAs(ANN);
  await openFolder(page, TODAY, 'Projects');
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByText(/3 of 3 messages to restore/).waitFor();
  await shoot(page, 'restore-preview');
  await page.getByRole('button', { name: 'Confirm restore' }).click();
  await page.getByText(/3 messages restored/).waitFor({ timeout: 60000 });
  expect(await page.locator('progress').getAttribute('value')).toBe('100');
  expect(await page.locator('.percent').textContent()).toBe('100 %');

  const restored = await withLive(ANN, (client) => liveMessages(client, 'Projects', true));
  const summary = (entries: typeof restored) => entries.map((entry) => ({ subject: /Subject: (.*)\r\n/.exec(entry.source!.toString())![1], flags: entry.flags, internalDate: entry.internalDate }));
  expect(summary(restored)).toEqual([
    { subject: 'Project alpha', flags: ['\\Flagged', '\\Seen'], internalDate: '2025-03-03T04:05:06.000Z' },
    { subject: 'Project beta', flags: ['$Label1'], internalDate: '2025-07-08T09:10:11.000Z' },
    { subject: 'Project gamma', flags: ['\\Answered', '\\Seen'], internalDate: '2026-01-02T03:04:05.000Z' },
  ]);
  const inbox = await withLive(ANN, (client) => liveMessages(client, 'INBOX', true));
  expect(inbox.filter((entry) => entry.source!.includes('X-MTM-Restore-Job:'))).toHaveLength(1);

  // recovery.maxPerDay is 1: the next request is denied, and the page says why.
  await page.getByRole('button', { name: 'Back to the list' }).click();
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('button', { name: 'Confirm restore' }).click();
  const denial = page.getByRole('alert').filter({ hasText: 'Restore denied' });
  await denial.waitFor();
  expect(await denial.textContent()).toMatch(/restore requests today.*try again tomorrow/);
  await context.close();
});

test('a state-changing request without the CSRF token is refused; with it, it goes through', async () => {
  const { context } = await signedInAs(ANN);
  const body = { day: TODAY, folder: 'INBOX' };
  const forged = await context.request.post(`${base}/api/v1/accounts/${ANN}/restores/preview`, { data: body });
  expect(forged.status()).toBe(403);
  expect((await forged.json()).error).toBe('csrf');
  const wrong = await context.request.post(`${base}/api/v1/accounts/${ANN}/restores`, { data: body, headers: { 'x-csrf-token': 'guessed' } });
  expect(wrong.status()).toBe(403);
  const signOut = await context.request.delete(`${base}/api/v1/session`);
  expect(signOut.status()).toBe(403);
  const { csrfToken } = await (await context.request.get(`${base}/api/v1/session`)).json();
  const genuine = await context.request.post(`${base}/api/v1/accounts/${ANN}/restores/preview`, { data: body, headers: { 'x-csrf-token': csrfToken } });
  expect(genuine.status()).toBe(200);
  await context.close();
});

test("another account's data is unreachable by any URL", async () => {
  const { context } = await signedInAs(ANN);
  const { csrfToken } = await (await context.request.get(`${base}/api/v1/session`)).json();
  const ben = `${base}/api/v1/accounts/${BEN}`;
  const folder = `${ben}/days/${TODAY}/folders/INBOX`;
  const gets = [
    `${ben}/days`, `${ben}/timeline`, `${ben}/days/${TODAY}/folders`, `${folder}/messages`, `${folder}/messages?sort=date`,
    `${folder}/messages?q=private`, `${folder}/messages/1`, `${folder}/messages/1/parts/1`, `${folder}/messages/1.eml`,
    `${folder}.mbox`, `${folder}/changes`, `${ben}/restores`, `${ben}/restores/1`,
    `${base}/api/v1/accounts/${encodeURIComponent(BEN.toUpperCase())}/timeline`, `${base}/api/v1/accounts/${ANN}/../${BEN}/timeline`,
  ];
  for (const url of gets) {
    const reply = await context.request.get(url);
    expect({ url, status: reply.status() }).toEqual({ url, status: expect.any(Number) });
    expect([403, 404]).toContain(reply.status());
    expect(await reply.text()).not.toMatch(/Ben's private letter|for Ben only/);
  }
  for (const path of ['/restores/preview', '/restores']) {
    const reply = await context.request.post(`${ben}${path}`, { data: { day: TODAY }, headers: { 'x-csrf-token': csrfToken } });
    expect(reply.status()).toBe(403);
  }
  await context.close();
});

test('on a phone-sized screen, with the keyboard alone: sign in, pick a day and a folder', async () => {
  const { context, page } = await openSession({ width: 390, height: 844 });
  await page.getByLabel('Username').focus();
  await page.keyboard.type(BEN);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD[BEN]);
  await page.keyboard.press('Enter');
  const day = page.getByRole('button', { name: new RegExp(TODAY) });
  await day.focus();
  await page.keyboard.press('Enter');
  const inbox = page.getByRole('navigation', { name: 'Folders' }).getByRole('button', { name: /^INBOX/ });
  await inbox.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('row', { name: /Ben's private letter/ }).waitFor();
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await context.close();
});
