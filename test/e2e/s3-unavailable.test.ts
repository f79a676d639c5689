/**
 * The IMAP server with blobs in S3 (its own s3rver, so the test can stop it): messages are served
 * from object storage, partial fetches of a large one included; with the storage down a read it
 * cannot serve is `NO [UNAVAILABLE]` (never wrong bytes, never BAD); when the storage is back the
 * same command works again.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { rawClient } from '../fixtures/s3.js';
import { runS3rver, type RunningS3rver } from '../fixtures/s3rver.mjs';
import { RawImap } from '../fixtures/raw-imap.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 's3-unavailable-jo';
const PASSWORD = 'jo-live-pw-6620';
const BUCKET = 'mtm-e2e-unavailable';
const LARGE = Buffer.concat([generateMessage(50, 8), Buffer.from('\r\n' + 'attachment line of the large message\r\n'.repeat(25_000))]);

let s3: RunningS3rver;
let server: SnapshotServer;

beforeAll(async () => {
  s3 = await runS3rver();
  const credentials = { endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true };
  const client = rawClient(credentials);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  server = await startSnapshotServer({
    accounts: [{ user: ACCOUNT, password: PASSWORD, seed: (live) => appendAll(live, 'INBOX', [generateMessage(1, 8), generateMessage(2, 8), LARGE]) }],
    store: { s3: { ...credentials, bucket: BUCKET, prefix: 'e2e' } },
  });
}, 120000);

afterAll(async () => {
  await server?.stop();
  await s3?.stop();
});

async function session(): Promise<RawImap> {
  const imap = await RawImap.connect(server.host, server.port);
  await imap.login(ACCOUNT, PASSWORD);
  const select = await imap.command(`EXAMINE "Snapshots/${server.day}/INBOX"`);
  expect(select.toString()).toMatch(/ OK \[READ-ONLY\]/);
  return imap;
}

test('messages are served from S3, and a partial fetch of a large one is exact', async () => {
  const imap = await session();
  const small = (await imap.command('UID FETCH 1 BODY.PEEK[]')).toString('latin1');
  expect(small).toContain(generateMessage(1, 8).toString('latin1'));
  const start = 300_000;
  const partial = await imap.command(`UID FETCH 3 BODY.PEEK[]<${start}.5000>`);
  expect(partial.toString('latin1')).toContain(`BODY[]<${start}> {5000}\r\n${LARGE.subarray(start, start + 5000).toString('latin1')})`);
  await imap.close();
});

test('storage down: NO [UNAVAILABLE] for what cannot be served; back up: the same command works', async () => {
  const imap = await session();
  await s3.stop({ keepObjects: true });
  try {
    const down = (await imap.command('UID FETCH 2 BODY.PEEK[]')).toString('latin1');
    expect(down).toMatch(/^A\d+ NO \[UNAVAILABLE\] .*not answering/m);
    expect(down).not.toContain(generateMessage(2, 8).toString('latin1').slice(0, 200));
    const large = (await imap.command('UID FETCH 3 BODY.PEEK[]<400000.1000>')).toString('latin1');
    expect(large).toMatch(/^A\d+ NO \[UNAVAILABLE\]/m);
    // The catalog is local: listing and flags still answer.
    expect((await imap.command('UID FETCH 1:* (FLAGS RFC822.SIZE)')).toString()).toMatch(/ OK /);
  } finally {
    s3 = await runS3rver({ port: s3.port, directory: s3.directory });
  }
  const back = (await imap.command('UID FETCH 2 BODY.PEEK[]')).toString('latin1');
  expect(back).toContain(generateMessage(2, 8).toString('latin1'));
  expect(back).toMatch(/^A\d+ OK /m);
  await imap.close();
}, 60000);
