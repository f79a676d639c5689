/**
 * The real `mtm` with blobs in S3 (store.s3 on s3rver): a snapshot puts every message under
 * <prefix>/<account>/<sha256> and reads back intact; `mtm doctor` probes the bucket; S3 down,
 * refused credentials or a missing bucket make the snapshot exit ≠ 0 naming S3 and the cause, with
 * earlier days intact and the secret never printed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { createTestBucket, type TestBucket } from '../fixtures/s3.js';
import { liveClient, liveMessages, mtmJson, runMtm, tempDir, writeConfig, type MtmRun } from '../fixtures/mtm.js';

const ACCOUNT = 's3-store-iris';
const DAY1 = '2026-08-01';
const DAY2 = '2026-08-02';

interface DayJson { day: string; messages: number }
interface MessageJson { uid: number; sha256: string }

const testbed = testbedFromEnv();
let bucket: TestBucket;
let root: string;
let configs = 0;
let liveHashes: string[];

/** A config for the one account, the embedded catalog in `root`, blobs in the test bucket. */
function config(s3: Record<string, unknown> = {}, snapshot: Record<string, unknown> = {}): string {
  const dir = join(root, `case-${++configs}`);
  mkdirSync(dir);
  return writeConfig(dir, [ACCOUNT], { store: { path: join(root, 'store'), s3: { ...bucket.settings, ...s3 } }, snapshot });
}

async function objectHashes(): Promise<string[]> {
  const objects = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.settings.bucket }));
  return (objects.Contents ?? []).map((object) => object.Key!.replace(`mtm-e2e/${ACCOUNT}/`, '')).sort();
}

function expectNoSecrets(run: MtmRun, secret: string): void {
  expect(run.stdout + run.stderr).not.toContain(secret);
  expect(run.stdout + run.stderr).not.toContain(testbed.masterPassword);
}

async function expectDay1Intact(good: string): Promise<void> {
  expect((await mtmJson<DayJson[]>(['list', '-c', good, '--account', ACCOUNT])).map((day) => day.day)).toEqual([DAY1]);
  const verify = await runMtm(['verify', '-c', good]);
  expect(verify.code).toBe(0);
}

beforeAll(async () => {
  bucket = await createTestBucket('s3rver', 'mtm-e2e');
  root = tempDir('s3-store');
  addUser(testbed, ACCOUNT, 'iris-live-pw-3318');
  const live = await liveClient(ACCOUNT);
  // Eleven ordinary messages and one that spans several 256 KiB chunks.
  const large = Buffer.concat([generateMessage(99, 5), Buffer.from('\r\n' + 'line of a large attachment\r\n'.repeat(30_000))]);
  await appendAll(live, 'INBOX', [...Array.from({ length: 11 }, (_, i) => generateMessage(i, 71)), large]);
  liveHashes = (await liveMessages(live, 'INBOX', true)).map((message) => createHash('sha256').update(message.source!).digest('hex'));
  await live.logout();
}, 120000);

afterAll(async () => {
  await bucket?.remove();
});

test('a snapshot stores every message as an object under <prefix>/<account>/<sha256>, read back intact', async () => {
  const good = config();
  const run = await runMtm(['snapshot', '-c', good, '--label', DAY1]);
  expect(run.code).toBe(0);
  const listed = await mtmJson<MessageJson[]>(['list', '-c', good, '--account', ACCOUNT, '--day', DAY1, '--folder', 'INBOX']);
  expect(listed.map((message) => message.sha256)).toEqual(liveHashes);
  const objects = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.settings.bucket }));
  expect((objects.Contents ?? []).map((object) => object.Key).sort()).toEqual([...new Set(liveHashes)].map((hash) => `mtm-e2e/${ACCOUNT}/${hash}`).sort());
  await expectDay1Intact(good);
  const doctor = await runMtm(['doctor', '-c', good, '--json']);
  const s3 = (JSON.parse(doctor.stdout) as Array<{ name: string; status: string; detail: string }>).find((check) => check.name === 's3');
  expect(s3).toMatchObject({ status: 'pass' });
  expect(s3!.detail).toContain(`S3 bucket ${bucket.settings.bucket}/mtm-e2e`);
}, 120000);

test.each([
  ['down', async () => ({ endpoint: `http://127.0.0.1:${await freePort()}` }), /is unavailable \(cannot connect: ECONNREFUSED; HEAD /],
  ['refusing the credentials', async () => ({ accessKeyId: 'WRONG-KEY', secretAccessKey: 'wrong-secret-never-printed-5521' }), /failed \(the credentials of access key WRONG-KEY were refused/],
  ['without the bucket', async () => ({ bucket: 'mtm-no-such-bucket' }), /the bucket mtm-no-such-bucket does not exist/],
])('S3 %s: the snapshot exits ≠ 0 naming S3 and the cause; doctor fails the s3 check; day 1 intact', async (_, s3, cause) => {
  // New mail since day 1: the snapshot has something to put (an unchanged account needs no S3 call).
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', [generateMessage(200 + configs, 72)]);
  await live.logout();
  const overrides = await s3();
  const bad = config(overrides);
  const run = await runMtm(['snapshot', '-c', bad, '--label', DAY2]);
  expect(run.code).not.toBe(0);
  expect(run.stdout + run.stderr).toMatch(/S3 bucket \S+ at http:\/\/127\.0\.0\.1:\d+/);
  expect(run.stdout + run.stderr).toMatch(cause);
  expectNoSecrets(run, 'wrong-secret-never-printed-5521');
  const doctor = await runMtm(['doctor', '-c', bad, '--json']);
  expect(doctor.code).not.toBe(0);
  const s3Check = (JSON.parse(doctor.stdout) as Array<{ name: string; status: string; detail: string }>).find((check) => check.name === 's3');
  expect(s3Check).toMatchObject({ status: 'fail' });
  expect(s3Check!.detail).toMatch(cause);
  expectNoSecrets(doctor, 'wrong-secret-never-printed-5521');
  await expectDay1Intact(config());
}, 120000);

test('retention deletes the objects no kept day references, and only those', async () => {
  const live = await liveClient(ACCOUNT);
  await live.mailboxOpen('INBOX');
  await live.messageDelete('1', { uid: true });
  await live.logout();
  const keepOneDay = config({}, { retentionDays: 1 });
  expect((await runMtm(['snapshot', '-c', keepOneDay, '--label', DAY2])).code).toBe(0);
  const day2 = await mtmJson<MessageJson[]>(['list', '-c', keepOneDay, '--account', ACCOUNT, '--day', DAY2, '--folder', 'INBOX']);
  expect(day2.map((message) => message.sha256)).not.toContain(liveHashes[0]);
  expect(await objectHashes()).toContain(liveHashes[0]);
  const prune = await runMtm(['prune', '-c', keepOneDay, '--today', DAY2]);
  expect(prune.code).toBe(0);
  expect(await objectHashes()).toEqual([...new Set(day2.map((message) => message.sha256))].sort());
  expect((await runMtm(['verify', '-c', keepOneDay])).code).toBe(0);
}, 120000);
