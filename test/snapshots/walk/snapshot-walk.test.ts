/**
 * The snapshot walk over a real embedded store: day labels validated once, folders found by any
 * spelling of INBOX, and one message for each wrong turn that every surface shows.
 */
import fc from 'fast-check';
import { SnapshotWalk, SnapshotWalkError } from '../../../src/snapshots/walk/index.js';
import { captureDay, openRealStore, type RealStore } from './real-store.js';

const ACCOUNT = 'walk-wanda';
const DAY = '2026-11-23';
const FOLDERS = { INBOX: 3, 'INBOX/Receipts': 1, 'Archive/2025': 2, Entwürfe: 1, 'Café/Reçus': 1, ınbox: 1 };
let real: RealStore;
let walk: SnapshotWalk;

beforeAll(async () => {
  real = await openRealStore();
  await captureDay(real.store, ACCOUNT, DAY, FOLDERS);
  await captureDay(real.store, 'walk-other', DAY, { INBOX: 5, Secret: 1 });
  walk = new SnapshotWalk(real.store.catalog, ACCOUNT);
});
afterAll(() => real.close());

async function refusal(step: Promise<unknown>): Promise<SnapshotWalkError> {
  const error = await step.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(SnapshotWalkError);
  return error as SnapshotWalkError;
}

test('days and captures come from the account only', async () => {
  expect((await walk.days()).map((day) => day.day)).toEqual([DAY]);
  expect((await walk.captures()).map((capture) => ({ account: capture.account, day: capture.day }))).toEqual([{ account: ACCOUNT, day: DAY }]);
  expect(await new SnapshotWalk(real.store.catalog, 'nobody').captures()).toEqual([]);
});

test.each(['INBOX', 'inbox', 'Inbox', 'iNbOX'])('"%s" opens the INBOX', async (name) => {
  const { folder, messages } = await walk.openFolder(DAY, name);
  expect(folder.name).toBe('INBOX');
  expect(messages.map((message) => message.uid)).toEqual([1, 2, 3]);
});

test.each([['inbox/Receipts', 'INBOX/Receipts'], ['Archive/2025', 'Archive/2025'], ['Entwürfe', 'Entwürfe'], ['Café/Reçus', 'Café/Reçus'], ['ınbox', 'ınbox']])(
  '"%s" opens %s',
  async (name, stored) => {
    expect((await walk.openFolder(DAY, name)).folder.name).toBe(stored);
  },
);

test('a parent that is only implied, another case of a non-INBOX name, or another account\'s folder is no folder', async () => {
  for (const name of ['Archive', 'Café', 'archive/2025', 'entwürfe', 'Secret', 'INBOX/', '/INBOX', '']) {
    const error = await refusal(walk.openFolder(DAY, name));
    expect(error.problem).toBe('no-folder');
    expect(error.message).toBe(`there is no folder ${JSON.stringify(name)} in ${ACCOUNT}'s snapshot of ${DAY}`);
  }
});

test('any text that is not a calendar date is refused as a day', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('2026-02-30', '2026-11-23 ', '2026-1-23', '26-11-23', '2026-11-23/INBOX', '../2026-11-23')), async (text) => {
      fc.pre(!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`)) || new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) !== text);
      const error = await refusal(walk.openFolder(text, 'INBOX'));
      expect(error.problem).toBe('bad-day');
      expect(error.message).toBe(`${JSON.stringify(text)} is not a day (expected YYYY-MM-DD, a real calendar date)`);
    }),
  );
});

test('a valid day without a snapshot is no-snapshot, with the day in the message', async () => {
  const error = await refusal(walk.capture('2026-11-22'));
  expect(error.problem).toBe('no-snapshot');
  expect(error.message).toBe(`there is no snapshot of ${ACCOUNT} for 2026-11-22`);
});

test('a folder and everything below it, whatever the case of INBOX', async () => {
  const folders = await walk.folders(await walk.capture(DAY));
  expect(folders.within('inbox').map((folder) => folder.name).sort()).toEqual(['INBOX', 'INBOX/Receipts']);
  expect(folders.within('Café').map((folder) => folder.name)).toEqual(['Café/Reçus']);
  expect([...folders.tree()].sort()).toEqual([
    ['Archive', false], ['Archive/2025', true], ['Café', false], ['Café/Reçus', true], ['Entwürfe', true], ['INBOX', true], ['INBOX/Receipts', true], ['ınbox', true],
  ]);
});
