/**
 * Issue 3 acceptance, "Demo": what `npm run demo` sets up (its own Dovecot, account demo/demo,
 * three differing snapshot days) served by the real service, used over IMAP as a user would.
 */
import { rmSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { DEMO_PASSWORD, DEMO_USER, setupDemo, type Demo } from '../../src/demo/setup.js';
import { silentLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/service.js';
import { freePort } from '../../src/testbed/dovecot.js';
import { tempDir } from '../fixtures/mtm.js';

let root: string;
let demo: Demo;
let service: RunningService;

beforeAll(async () => {
  root = tempDir('e2e-demo');
  demo = await setupDemo({ root, imapPort: await freePort(), httpPort: await freePort(), logger: silentLogger });
  service = await startService(demo.config, demo.store, silentLogger, { scheduler: false });
}, 120000);

afterAll(async () => {
  await service?.stop();
  await demo?.store.close();
  demo?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('demo/demo logs in over IMAP, sees three differing days and reads a message', async () => {
  expect(demo.days).toHaveLength(3);
  const client = new ImapFlow({ host: '127.0.0.1', port: service.imap.port, secure: false, logger: false, auth: { user: DEMO_USER, pass: DEMO_PASSWORD } });
  await client.connect();
  try {
    const paths = (await client.list()).map((entry) => entry.path);
    for (const day of demo.days) {
      expect(paths).toContain(`Snapshots/${day}`);
      expect(paths).toContain(`Snapshots/${day}/INBOX`);
      expect(paths).toContain(`Snapshots/${day}/Archive/2025`);
    }
    // The days differ: the folder "Leer" is gone on the last day, INBOX changes every day.
    expect(paths).toContain(`Snapshots/${demo.days[0]}/Leer`);
    expect(paths).not.toContain(`Snapshots/${demo.days[2]}/Leer`);
    const uidsByDay: number[][] = [];
    for (const day of demo.days) {
      await client.mailboxOpen(`Snapshots/${day}/INBOX`, { readOnly: true });
      uidsByDay.push((await client.search({ all: true }, { uid: true })) || []);
    }
    expect(new Set(uidsByDay.map((uids) => uids.join(','))).size).toBe(3);
    await client.mailboxOpen(`Snapshots/${demo.days[2]}/INBOX`, { readOnly: true });
    const message = await client.fetchOne('*', { uid: true, source: true, envelope: true });
    if (!message) throw new Error('no message in the demo INBOX');
    // What the client reads is the snapshot's stored copy, byte for byte.
    const { catalog, blobs } = demo.store;
    const seq = (await catalog.captureForDay(DEMO_USER, demo.days[2]))!;
    const inbox = (await catalog.folders(DEMO_USER, seq)).find((folder) => folder.name === 'INBOX')!;
    const stored = (await catalog.messages(DEMO_USER, seq, 'INBOX', inbox.uidValidity)).find((entry) => entry.uid === message.uid)!;
    expect(message.source!.equals(await blobs.readAll(DEMO_USER, stored.blobHash))).toBe(true);
    expect(message.envelope!.subject).toBeTruthy();
  } finally {
    await client.logout();
  }
});

test('the demo password is checked: a wrong one is refused', async () => {
  const client = new ImapFlow({ host: '127.0.0.1', port: service.imap.port, secure: false, logger: false, auth: { user: DEMO_USER, pass: 'not-demo' } });
  await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true });
  client.close();
});
