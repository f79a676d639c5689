/**
 * Issue 4 acceptance: `mtm export` gives the snapshot's exact bytes as .eml, and a folder's mboxrd
 * file parses back to the same messages (lines starting with `From ` included); `mtm restore`
 * prints its decision and result and exits non-zero on denial. Plus the mboxrd quoting itself,
 * with line starts split across chunks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ImapFlow } from 'imapflow';
import { mboxrdQuote, parseMboxrd } from '../../src/recovery/export.js';
import { openStore } from '../../src/snapshots/store/store.js';
import { loadConfig } from '../../src/config/load.js';
import { addDays } from '../../src/snapshots/day-label.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { deleteUids, liveEntries, populate, TODAY } from './helpers.js';

const ACCOUNT = 'recovery-export-di';
let live: ImapFlow;
let dir: string;
let config: string;

async function snapshotMessages(folder: string): Promise<{ uid: number; raw: Buffer }[]> {
  const store = await openStore(loadConfig(config).store);
  try {
    const seq = (await store.catalog.captureForDay(ACCOUNT, TODAY))!;
    const record = (await store.catalog.folders(ACCOUNT, seq)).find((f) => f.name === folder)!;
    const messages = await store.catalog.messages(ACCOUNT, seq, folder, record.uidValidity);
    return Promise.all(messages.map(async (m) => ({ uid: m.uid, raw: await store.blobs.readAll(ACCOUNT, m.blobHash) })));
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'di-pw');
  live = await liveClient(ACCOUNT);
  await populate(live, 43);
  dir = tempDir('export');
  config = writeConfig(dir, [ACCOUNT]);
  expect((await runMtm(['snapshot', '-c', config, '--label', TODAY])).code).toBe(0);
}, 120000);

afterAll(async () => {
  await live?.logout();
});

test('an exported .eml is byte for byte the snapshot message; several UIDs become a directory', async () => {
  const messages = await snapshotMessages('INBOX');
  const one = await runMtm(['export', '-c', config, '--account', ACCOUNT, '--day', TODAY, '--folder', 'INBOX', '--uid', String(messages[1].uid), '--format', 'eml', '-o', join(dir, 'one.eml')]);
  expect(one.code).toBe(0);
  expect(readFileSync(join(dir, 'one.eml')).equals(messages[1].raw)).toBe(true);
  const many = await runMtm(['export', '-c', config, '--account', ACCOUNT, '--day', TODAY, '--folder', 'INBOX', '--uid', `${messages[0].uid}:${messages[2].uid}`, '--format', 'eml', '-o', join(dir, 'many')]);
  expect(many.code).toBe(0);
  expect(readdirSync(join(dir, 'many')).sort()).toEqual(messages.slice(0, 3).map((m) => `${m.uid}.eml`).sort());
  for (const m of messages.slice(0, 3)) expect(readFileSync(join(dir, 'many', `${m.uid}.eml`)).equals(m.raw)).toBe(true);
  const missing = await runMtm(['export', '-c', config, '--account', ACCOUNT, '--day', TODAY, '--folder', 'INBOX', '--uid', '9999', '--format', 'eml']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('no message with UID 9999');
});

test("a folder's mbox parses back to exactly the snapshot's messages, From lines included", async () => {
  const messages = await snapshotMessages('INBOX');
  expect(messages.some((m) => /\nFrom /.test(m.raw.toString('latin1')))).toBe(true);
  const run = await runMtm(['export', '-c', config, '--account', ACCOUNT, '--day', TODAY, '--folder', 'INBOX', '--format', 'mbox', '-o', join(dir, 'inbox.mbox')]);
  expect(run.code).toBe(0);
  const mbox = readFileSync(join(dir, 'inbox.mbox'));
  expect(mbox.toString('latin1')).toContain('\n>From the start of a line');
  expect(mbox.toString('latin1')).toContain('\n>>From quoted once');
  const parsed = parseMboxrd(mbox);
  expect(parsed).toHaveLength(messages.length);
  parsed.forEach((raw, i) => expect(raw.equals(messages[i].raw)).toBe(true));
});

test('mboxrd quoting survives any chunking and leaves no line starting with "From "', async () => {
  const line = fc.constantFrom('From x', '>From y', '>>From ', 'From', 'Fro', '>', '', 'text From z', 'From\r', '>>>From');
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(40), { maxLength: 6 }), async (lines, cuts) => {
      const raw = Buffer.from(lines.join('\n'));
      const points = [...new Set(cuts.map((c) => Math.min(c, raw.length)))].sort((a, b) => a - b);
      const chunks = [0, ...points].map((start, i) => raw.subarray(start, i < points.length ? points[i] : raw.length)).filter((c) => c.length > 0);
      async function* source() {
        yield* chunks;
      }
      const parts: Buffer[] = [];
      for await (const part of mboxrdQuote(source())) parts.push(part);
      const quoted = Buffer.concat(parts);
      expect(/(^|\n)From /.test(quoted.toString('latin1'))).toBe(false);
      const mbox = Buffer.concat([Buffer.from('From a@b Thu Jan  1 00:00:00 2026\n'), quoted, Buffer.from('\n')]);
      expect(parseMboxrd(mbox)[0].equals(raw)).toBe(true);
    }),
    { numRuns: 300 },
  );
});

test('mtm restore: --preview changes nothing, a restore prints its result, a denial exits 1', async () => {
  const inbox = await liveEntries(live, 'INBOX');
  await deleteUids(live, 'INBOX', [inbox[2].uid]);
  const afterDelete = await liveEntries(live, 'INBOX');
  const base = ['restore', '-c', config, '--account', ACCOUNT, '--day', TODAY, '--folder', 'INBOX'];
  const preview = await runMtm([...base, '--preview', '--json']);
  expect(preview.code).toBe(0);
  const shown = JSON.parse(preview.stdout) as { preview: { toRestore: number } };
  const expected = 12 - afterDelete.length;
  expect(shown.preview.toRestore).toBe(expected);
  expect(await liveEntries(live, 'INBOX')).toEqual(afterDelete);

  const run = await runMtm(base);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`restore done: ${expected} restored, ${12 - expected} already present, 0 failed`);
  expect((await liveEntries(live, 'INBOX')).length).toBe(12);

  const denied = await runMtm(['restore', '-c', config, '--account', ACCOUNT, '--day', addDays(TODAY, -30)]);
  expect(denied.code).toBe(1);
  expect(denied.stdout).toContain('denied:');
});
