/**
 * Issue 10 item 4, against the real Dovecot and the real service: every field of an HTTP restore
 * request is checked for shape and length (400, nothing recorded, nothing emailed, nothing echoed),
 * and repeated denials — over the IMAP `Restore` mailbox and over HTTP — send at most one denial
 * email per reason, account and day, without growing the job records.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { dayIn } from '../../src/snapshots/day-label.js';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { liveClient } from '../fixtures/mtm.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';
import { notices } from './helpers.js';

const ACCOUNT = 'recovery-limits-flo';
const PASSWORD = 'flo-limits-pw';
const ADMIN_TOKEN = 'limits-admin-token-0123456789';
let server: SnapshotServer;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [{ user: ACCOUNT, password: PASSWORD, seed: async (live) => appendAll(live, 'Projects', buildCorpus({ count: 4, seed: 12 }), () => ['\\Seen'], () => new Date(Date.UTC(2026, 5, 2))) }],
    days: [dayIn('UTC')],
    recovery: { maxPerDay: 1, adminToken: ADMIN_TOKEN },
  });
}, 120000);

afterAll(async () => {
  await server?.stop();
});

/** POST on a fresh connection each time: a refused oversized body ends its connection. */
async function post(body: unknown, auth = `Bearer ${ADMIN_TOKEN}`): Promise<{ status: number; json: { error?: string; message?: string; notified?: boolean } }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.service.http.port, method: 'POST', path: `/api/v1/accounts/${ACCOUNT}/restores`, agent: false, headers: { authorization: auth, 'content-type': 'application/json', 'content-length': payload.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close before the whole body is sent.
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end(payload);
  });
}

async function noticeSubjects(): Promise<string[]> {
  const live = await liveClient(ACCOUNT);
  try {
    return (await notices(live)).map((mail) => mail.subject);
  } finally {
    await live.logout();
  }
}

const VALID = { day: dayIn('UTC'), folder: 'Projects', uids: [1], mode: 'merge' };
const MARKER = 'ZQXMARKER';

/** One field of an otherwise valid request made invalid, carrying a marker that must never be echoed. */
const invalidBody = fc.oneof(
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }).map((text) => `${MARKER}${text}`),
    fc.constant(`2026-11-2${MARKER}`),
    fc.integer({ min: 60000, max: 61000 }).map((length) => `2026-11-20${MARKER}`.padEnd(length, '9')),
    fc.constantFrom('2026-02-30', '2026-13-01', '2026-00-10', '0000-01-01', ' 2026-11-20', '2026-11-20\r\n'),
    fc.constantFrom(20261120, null, true),
  ).map((day) => ({ ...VALID, day })),
  fc.oneof(
    fc.integer({ min: 1001, max: 60000 }).map((length) => MARKER.padEnd(length, 'f')),
    fc.integer({ min: 501, max: 1000 }).map((length) => MARKER + 'é'.repeat(length)),
    fc.constantFrom('', `In\r\nBcc: x@${MARKER}`, `A\u0000${MARKER}`),
    fc.constantFrom(42, [MARKER]),
  ).map((folder) => ({ ...VALID, folder })),
  fc.oneof(
    fc.constant([]),
    fc.constantFrom([0], [-1], [1.5], [2 ** 32], [`${MARKER}`], [null]),
    fc.integer({ min: 100001, max: 100010 }).map((length) => Array.from({ length }, () => 1)),
  ).map((uids) => ({ ...VALID, uids })),
  fc.oneof(fc.string({ maxLength: 20 }).map((mode) => `${MARKER}${mode}`), fc.constantFrom(1, null)).map((mode) => ({ ...VALID, mode })),
  fc.constantFrom({ ...VALID, [MARKER]: 1 }, { ...VALID, subfolders: 'yes' }, [VALID], `${MARKER}`, null),
);

test('a restore request with any malformed or oversized field gets a 400 that quotes none of it; nothing is recorded or emailed', async () => {
  const subjectsBefore = await noticeSubjects();
  const jobsBefore = (await server.service.recovery.jobs.list(ACCOUNT)).length;
  await fc.assert(
    fc.asyncProperty(invalidBody, async (body) => {
      const { status, json } = await post(body);
      // A body over the API's 64 KB cap is refused before it is parsed.
      const tooLarge = Buffer.byteLength(JSON.stringify(body)) > 64 * 1024;
      expect(status).toBe(tooLarge ? 413 : 400);
      if (!tooLarge) expect(json.error).toBe('bad-request');
      expect(json.message!.length).toBeLessThan(200);
      expect(json.message).not.toContain(MARKER);
    }),
    { numRuns: 80, seed: 410 },
  );
  expect(await server.service.recovery.jobs.list(ACCOUNT)).toHaveLength(jobsBefore);
  expect(await noticeSubjects()).toEqual(subjectsBefore);
});

test('the service itself refuses a 60,000-character day from any caller without recording or emailing it', async () => {
  const subjectsBefore = await noticeSubjects();
  const decision = await server.service.recovery.submit({
    account: ACCOUNT,
    day: `2026-11-20${'x'.repeat(60000)}`,
    scope: { kind: 'folder', folder: 'f'.repeat(5000), subfolders: false },
    mode: 'merge',
    requester: { kind: 'admin', name: 't' },
    origin: 'cli',
  });
  expect(decision).toMatchObject({ accepted: false, jobId: null, notified: false, denial: { code: 'bad-request' } });
  if (!decision.accepted) expect(decision.denial.reason.length).toBeLessThan(200);
  expect(await server.service.recovery.jobs.list(ACCOUNT)).toHaveLength(0);
  expect(await noticeSubjects()).toEqual(subjectsBefore);
});

test('after the daily limit, 40 COPYs to Restore and 40 HTTP requests send one denial email in all and record one denial', async () => {
  const client = await RawImap.connect(server.host, server.port);
  try {
    await client.login(ACCOUNT, PASSWORD);
    await client.command(`SELECT "Snapshots/${server.day}/Projects"`);
    // The one restore of the day is accepted and runs.
    expect((await client.command('COPY 1 Restore')).toString()).toMatch(/^A\d+ OK .*accepted/m);
    await server.service.recovery.queue.idle();
    const subjectsBefore = await noticeSubjects();
    for (let i = 0; i < 40; i++) {
      expect((await client.command('COPY 1 Restore')).toString()).toMatch(/^A\d+ NO \[CANNOT\] Restore denied: .*restore requests today/m);
    }
    for (let i = 0; i < 40; i++) {
      const { status, json } = await post({ day: server.day, folder: 'Projects' });
      expect(status).toBe(429);
      expect(json.error).toBe('daily-limit');
    }
    const newSubjects = (await noticeSubjects()).slice(subjectsBefore.length);
    expect(newSubjects).toEqual(['Restore denied: 1 message of folder "Projects" from ' + server.day]);
    const jobs = await server.service.recovery.jobs.list(ACCOUNT);
    expect(jobs.map((job) => job.status).sort()).toEqual(['denied', 'done']);
    expect(await server.service.recovery.jobs.denialRepeats(ACCOUNT, dayIn('UTC'), 'daily-limit')).toBe(79);
  } finally {
    await client.close();
  }
});
