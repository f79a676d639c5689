/**
 * Issue 12 acceptance: every surface — IMAP (all-days and day logins), `mtm list`, `mtm export`,
 * `mtm restore` and the HTTP API (browse and restore preview) — accepts the same mailbox names the
 * same way, because they all walk the snapshot through src/snapshots/walk: INBOX in any case, a
 * nested name, non-ASCII names; and they refuse the same names and days, with the walk's one
 * message wherever a surface shows text (IMAP answers NO [NONEXISTENT]).
 * Real Dovecot, the real `mtm` executable on the same store, the real service's IMAP and HTTP.
 */
import { addDays, dayIn } from '../../src/snapshots/day-label.js';
import { parseMboxrd } from '../../src/recovery/export.js';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { runMtm, writeConfig } from '../fixtures/mtm.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'names-nina';
const PASSWORD = 'nina-names-pw';
/** Live folder → messages; distinct counts, so an answer from the wrong folder shows. */
const LIVE = { INBOX: 3, 'Archive/2025': 2, Entwürfe: 4, 'Café/Reçus': 1 };
const TODAY = dayIn('UTC');

let server: SnapshotServer;
let config: string;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [{
      user: ACCOUNT,
      password: PASSWORD,
      seed: async (live) => {
        let seed = 70;
        for (const [folder, count] of Object.entries(LIVE)) await appendAll(live, folder, buildCorpus({ count, seed: seed++ }));
      },
    }],
    days: [TODAY],
  });
  config = writeConfig(server.dir, [ACCOUNT], { store: { path: server.storePath } });
}, 120000);

afterAll(async () => {
  await server?.stop();
});

/** What one surface made of one (day, folder): accepted with a message count, or refused with its text. */
type Outcome = { accepted: true; messages: number } | { accepted: false; text: string };

async function imap(user: string, mailbox: string): Promise<Outcome> {
  const client = await RawImap.connect(server.host, server.port);
  try {
    // A day login for a day that has no snapshot is refused at LOGIN: the IMAP surface's way to say it.
    const login = (await client.command(`LOGIN "${user}" "${PASSWORD}"`)).toString('utf8').trimEnd().split('\r\n').at(-1)!;
    if (!/^A\d+ OK/.test(login)) return { accepted: false, text: login.replace(/^A\d+ /, '') };
    await client.command('ENABLE UTF8=ACCEPT');
    const reply = (await client.command(Buffer.from(`EXAMINE "${mailbox}"`))).toString('utf8');
    const tagged = reply.trimEnd().split('\r\n').at(-1)!;
    if (!/^A\d+ OK/.test(tagged)) return { accepted: false, text: tagged.replace(/^A\d+ /, '') };
    return { accepted: true, messages: Number(/\* (\d+) EXISTS/.exec(reply)![1]) };
  } finally {
    await client.close();
  }
}

async function cli(args: string[], count: (stdout: string) => number): Promise<Outcome> {
  const run = await runMtm([...args, '-c', config, '--account', ACCOUNT]);
  if (run.code === 0) return { accepted: true, messages: count(run.stdout) };
  // A refused restore preview says why on stdout (--json), everything else on stderr.
  const denial = run.stdout.trim() ? (JSON.parse(run.stdout) as { denial?: { reason: string } }).denial?.reason : undefined;
  return { accepted: false, text: denial ?? run.stderr.trim() };
}

async function http(path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`http://127.0.0.1:${server.service.http.port}/api/v1/accounts/${encodeURIComponent(ACCOUNT)}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${PASSWORD}`).toString('base64')}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: await response.json() };
}

async function everySurface(day: string, folder: string): Promise<Record<string, Outcome & { status?: number }>> {
  const folderPath = folder.split('/').map(encodeURIComponent).join('/');
  const browse = await http(`/days/${encodeURIComponent(day)}/folders/${folderPath}/messages`);
  const preview = await http('/restores/preview', { day, folder });
  return {
    'IMAP all days': await imap(ACCOUNT, `Snapshots/${day}/${folder}`),
    'IMAP day login': await imap(`${ACCOUNT}#${day}`, folder),
    'mtm list': await cli(['list', '--day', day, '--folder', folder, '--json'], (out) => (JSON.parse(out) as unknown[]).length),
    'mtm export': await cli(['export', '--day', day, '--folder', folder, '--format', 'mbox'], (out) => parseMboxrd(Buffer.from(out, 'utf8')).length),
    'mtm restore': await cli(['restore', '--day', day, '--folder', folder, '--preview', '--json'], (out) => (JSON.parse(out) as { preview: { messages: number } }).preview.messages),
    'HTTP browse': browse.status === 200
      ? { accepted: true, messages: browse.json.total, status: 200 }
      : { accepted: false, text: browse.json.message, status: browse.status },
    'HTTP restore preview': preview.status === 200
      ? { accepted: true, messages: preview.json.preview.messages, status: 200 }
      : { accepted: false, text: preview.json.message, status: preview.status },
  };
}

test.each([
  ['INBOX', LIVE.INBOX],
  ['inbox', LIVE.INBOX],
  ['InBoX', LIVE.INBOX],
  ['Archive/2025', LIVE['Archive/2025']],
  ['Entwürfe', LIVE.Entwürfe],
  ['Café/Reçus', LIVE['Café/Reçus']],
])('"%s" is accepted by every surface, which all see the same %i messages', async (folder, count) => {
  const outcomes = await everySurface(TODAY, folder);
  for (const [surface, outcome] of Object.entries(outcomes)) expect({ surface, ...outcome }).toEqual({ surface, accepted: true, messages: count, ...(outcome.status && { status: 200 }) });
}, 120000);

const refusals: [string, string, () => string, { browse: number; preview: number }][] = [
  ['an unknown folder', 'Nowhere', () => `there is no folder "Nowhere" in ${ACCOUNT}'s snapshot of ${TODAY}`, { browse: 404, preview: 422 }],
  ['a parent that is only implied', 'Café', () => `there is no folder "Café" in ${ACCOUNT}'s snapshot of ${TODAY}`, { browse: 404, preview: 422 }],
  ['another case of a non-INBOX name', 'entwürfe', () => `there is no folder "entwürfe" in ${ACCOUNT}'s snapshot of ${TODAY}`, { browse: 404, preview: 422 }],
];

test.each(refusals)('%s (%s) is refused by every surface with the same message', async (_, folder, message, status) => {
  const outcomes = await everySurface(TODAY, folder);
  expectRefusedEverywhere(outcomes, message(), status);
}, 120000);

test('a day without a snapshot is refused by every surface with the same message', async () => {
  const yesterday = addDays(TODAY, -1);
  expectRefusedEverywhere(await everySurface(yesterday, 'INBOX'), `there is no snapshot of ${ACCOUNT} for ${yesterday}`, { browse: 404, preview: 422 });
}, 120000);

test('an invalid day is refused by every surface; list, export, restore and browse say it in the same words', async () => {
  const outcomes = await everySurface('2026-02-30', 'INBOX');
  for (const [surface, outcome] of Object.entries(outcomes)) expect({ surface, accepted: outcome.accepted }).toEqual({ surface, accepted: false });
  const words = '"2026-02-30" is not a day (expected YYYY-MM-DD, a real calendar date)';
  for (const surface of ['mtm list', 'mtm export', 'mtm restore', 'HTTP browse'] as const) {
    expect({ surface, text: (outcomes[surface] as { text: string }).text }).toEqual({ surface, text: expect.stringContaining(words) });
  }
  expect(outcomes['HTTP browse'].status).toBe(400);
  // A restore body's fields are checked as a whole before anything is looked up (never echoing what was sent).
  expect(outcomes['HTTP restore preview'].status).toBe(400);
  for (const surface of ['IMAP all days', 'IMAP day login'] as const) expect((outcomes[surface] as { text: string }).text).toMatch(/^NO \[(NONEXISTENT|AUTHENTICATIONFAILED)\]/);
}, 120000);

function expectRefusedEverywhere(outcomes: Record<string, Outcome & { status?: number }>, message: string, status: { browse: number; preview: number }): void {
  for (const [surface, outcome] of Object.entries(outcomes)) {
    expect({ surface, accepted: outcome.accepted }).toEqual({ surface, accepted: false });
    const text = (outcome as { text: string }).text;
    if (surface.startsWith('IMAP')) expect({ surface, text }).toEqual({ surface, text: expect.stringMatching(/^NO \[(NONEXISTENT|AUTHENTICATIONFAILED)\]/) });
    else expect({ surface, text }).toEqual({ surface, text: expect.stringContaining(message) });
  }
  expect({ browse: outcomes['HTTP browse'].status, preview: outcomes['HTTP restore preview'].status }).toEqual(status);
}
