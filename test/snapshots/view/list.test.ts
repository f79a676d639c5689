/**
 * LIST, LSUB, SELECT and STATUS against the real snapshot view over a real catalog (an embedded
 * store filled through the catalog API), not a fake view: the parents the real view implies, INBOX
 * in any case, non-ASCII names and invalid days are what the server really answers.
 */
import fc from 'fast-check';
import type { LoginService } from '../../../src/proxy/ports.js';
import type { ImapServer } from '../../../src/proxy/server.js';
import { StoreSnapshotView, snapshotViewFactory } from '../../../src/snapshots/view/snapshot-view.js';
import { startTestServer, TestClient } from '../../proxy/commands/fakes.js';
import { captureDay, openRealStore, type RealStore } from '../walk/real-store.js';

const ACCOUNT = 'list-lena';
const DAY = '2026-11-23';
const ROOT = `Snapshots/${DAY}`;
let real: RealStore;
let server: ImapServer;
let allDays: TestClient;
let oneDay: TestClient;

/** Signs in as ACCOUNT (all days) or ACCOUNT#<day>, with the real view factory. */
function loginService(): LoginService {
  const views = snapshotViewFactory(real.store);
  return {
    async login(user) {
      const [account, day = null] = user.split('#');
      const view = account === ACCOUNT ? await views(account, day) : null;
      return view ? { ok: true, account, view } : { ok: false, code: 'AUTHENTICATIONFAILED', text: 'Invalid credentials' };
    },
  };
}

beforeAll(async () => {
  real = await openRealStore();
  await captureDay(real.store, ACCOUNT, '2026-11-22', { INBOX: 1 });
  await captureDay(real.store, ACCOUNT, DAY, { INBOX: 3, 'Archive/2025': 1, Café: 0, 'Entwürfe': 2, 'INBOX/Receipts': 1 });
  const started = await startTestServer({ loginService: loginService() });
  server = started.server;
  allDays = await TestClient.connect(started.port);
  await allDays.command('l', `LOGIN ${ACCOUNT} pw`);
  oneDay = await TestClient.connect(started.port);
  await oneDay.command('l', `LOGIN "${ACCOUNT}#${DAY}" pw`);
});
afterAll(async () => {
  allDays?.end();
  oneDay?.end();
  await server?.close();
  await real?.close();
});

const untagged = (lines: string[]) => lines.filter((line) => line.startsWith('* '));

test('% at the top lists the guide INBOX, Snapshots and Trash; below Snapshots, the days', async () => {
  expect(untagged(await allDays.command('a', 'LIST "" %'))).toEqual([
    '* LIST (\\HasNoChildren) "/" "INBOX"',
    '* LIST (\\Noselect \\HasChildren) "/" "Snapshots"',
    '* LIST (\\HasNoChildren) "/" "Trash"',
  ]);
  expect(untagged(await allDays.command('b', 'LIST "Snapshots/" %'))).toEqual([
    '* LIST (\\Noselect \\HasChildren) "/" "Snapshots/2026-11-22"',
    `* LIST (\\Noselect \\HasChildren) "/" "${ROOT}"`,
  ]);
});

test('* under a day lists every folder with the parents the real view implies, names in modified UTF-7', async () => {
  expect(untagged(await allDays.command('a', `LIST "${ROOT}/" *`))).toEqual([
    `* LIST (\\Noselect \\HasChildren) "/" "${ROOT}/Archive"`,
    `* LIST (\\HasNoChildren) "/" "${ROOT}/Archive/2025"`,
    `* LIST (\\HasNoChildren) "/" "${ROOT}/Caf&AOk-"`,
    `* LIST (\\HasNoChildren) "/" "${ROOT}/Entw&APw-rfe"`,
    `* LIST (\\HasChildren) "/" "${ROOT}/INBOX"`,
    `* LIST (\\HasNoChildren) "/" "${ROOT}/INBOX/Receipts"`,
  ]);
  expect(untagged(await allDays.command('b', `LSUB "${ROOT}/" %`))).toEqual([
    `* LSUB (\\Noselect) "/" "${ROOT}/Archive"`,
    `* LSUB () "/" "${ROOT}/Caf&AOk-"`,
    `* LSUB () "/" "${ROOT}/Entw&APw-rfe"`,
    `* LSUB () "/" "${ROOT}/INBOX"`,
  ]);
});

test('a day login shows that day\'s folders at the top level, INBOX first-class', async () => {
  expect(untagged(await oneDay.command('a', 'LIST "" *'))).toEqual([
    '* LIST (\\Noselect \\HasChildren) "/" "Archive"',
    '* LIST (\\HasNoChildren) "/" "Archive/2025"',
    '* LIST (\\HasNoChildren) "/" "Caf&AOk-"',
    '* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"',
    '* LIST (\\HasChildren) "/" "INBOX"',
    '* LIST (\\HasNoChildren) "/" "INBOX/Receipts"',
    '* LIST (\\HasNoChildren) "/" "Trash"',
  ]);
  expect(untagged(await oneDay.command('b', 'LIST "" inbox/%'))).toEqual(['* LIST (\\HasNoChildren) "/" "INBOX/Receipts"']);
});

test('STATUS finds INBOX in any case, nested and non-ASCII folders; implied parents and invalid days are no folder', async () => {
  const status = async (client: TestClient, name: string) => (await client.command('s', `STATUS "${name}" (MESSAGES)`)).at(-1);
  for (const name of [`${ROOT}/INBOX`, `${ROOT}/inbox`, `${ROOT}/iNbOx`]) expect(untagged(await allDays.command('s', `STATUS "${name}" (MESSAGES)`))).toEqual([`* STATUS "${name}" (MESSAGES 3)`]);
  for (const name of ['inbox', 'INBOX/Receipts', 'inbox/Receipts', 'Entw&APw-rfe', 'Archive/2025']) expect(await status(oneDay, name)).toBe('s OK STATUS completed');
  for (const name of [`${ROOT}/Archive`, 'Snapshots/2026-02-30/INBOX', 'Snapshots/2026-11-24/INBOX', `snapshots/${DAY}/INBOX`, `${ROOT}/entw&APw-rfe`]) {
    expect(await status(allDays, name)).toMatch(/^s NO \[NONEXISTENT\]/);
  }
  expect(await status(oneDay, 'Archive')).toMatch(/^s NO \[NONEXISTENT\]/);
});

test('for any set of folder paths, the day session lists exactly those folders and their parents', async () => {
  const segment = fc.oneof(fc.constantFrom('Archive', '2025', 'Café', 'Reçus', 'Entwürfe', 'INBOX', 'inbox', 'Sent', 'a b'), fc.stringMatching(/^[A-Za-z0-9äöü]{1,6}$/));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')), { minLength: 1, maxLength: 6 }), async (paths) => {
      // One canonical spelling per folder, as a live server reports them (it has one INBOX).
      const canonical = (path: string) => path.replace(/^inbox(?=\/|$)/i, 'INBOX');
      fc.pre(new Set(paths.map(canonical)).size === paths.length);
      const account = `list-prop-${run++}`;
      await captureDay(real.store, account, DAY, Object.fromEntries(paths.map((path) => [path, 0])));
      const view = new StoreSnapshotView(real.store, account, DAY);
      const expected = new Map<string, boolean>([['Trash', true]]);
      for (const path of paths.map(canonical)) {
        const segments = path.split('/');
        for (let depth = 1; depth < segments.length; depth++) {
          const parent = segments.slice(0, depth).join('/');
          if (!expected.get(parent)) expected.set(parent, false);
        }
        expected.set(path, true);
      }
      const listed = await view.listMailboxes();
      expect(new Map(listed.map((entry) => [entry.name, entry.selectable]))).toEqual(expected);
      for (const entry of listed) expect(entry.hasChildren).toBe([...expected.keys()].some((name) => name.startsWith(`${entry.name}/`)));
      for (const path of paths) expect(await view.openMailbox(path)).not.toBeNull();
    }),
    { numRuns: 25 },
  );
});
