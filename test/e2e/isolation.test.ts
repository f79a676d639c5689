/**
 * Issue 3 acceptance, "Isolation": two accounts share one store; the second can list, select,
 * status and fetch only its own snapshots, whatever mailbox name or login name it tries.
 */
import { appendAll } from '../../src/testbed/corpus.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';
import { Wire } from './wire.js';

const ALICE = 'e2e-iso-alice';
const BOB = 'e2e-iso-bob';
const SECRET = 'alice-secret-7f3a';
let server: SnapshotServer;
let day: string;

const message = (subject: string, body: string) => Buffer.from(`From: a@example.com\r\nSubject: ${subject}\r\n\r\n${body}\r\n`);

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [
      {
        user: ALICE,
        password: 'alice-pw-1',
        async seed(live) {
          await appendAll(live, 'INBOX', [message(SECRET, `${SECRET} in alice's inbox`)]);
          await appendAll(live, 'AliceOnly', [message(SECRET, `${SECRET} in a folder only alice has`)]);
        },
      },
      {
        user: BOB,
        password: 'bob-pw-1',
        async seed(live) {
          await appendAll(live, 'INBOX', [message('bob mail', 'nothing secret'), message('bob mail 2', 'still nothing')]);
        },
      },
    ],
  });
  day = server.day;
}, 120000);

afterAll(async () => {
  await server?.stop();
});

/** Names that try to reach Alice's folders from Bob's session. */
function hostileNames(): string[] {
  const d = day;
  return [
    `Snapshots/${d}/AliceOnly`,
    `Snapshots/${d}/../../${ALICE}/Snapshots/${d}/INBOX`,
    `Snapshots/${d}/../../${ALICE}/INBOX`,
    `Snapshots/${d}/INBOX/../../../${ALICE}/${d}/INBOX`,
    `../${ALICE}/Snapshots/${d}/INBOX`,
    `..`,
    `../..`,
    `/${ALICE}/INBOX`,
    `${ALICE}/INBOX`,
    `${ALICE}/Snapshots/${d}/INBOX`,
    `Snapshots/${ALICE}/${d}/INBOX`,
    `Snapshots/${d}/${ALICE}/INBOX`,
    `${ALICE}#${d}/INBOX`,
    `Snapshots/${ALICE}#${d}/INBOX`,
    `Snapshots/${d}#${ALICE}/INBOX`,
    `Snapshots%2F${d}%2FAliceOnly`,
    `Snapshots/${d}/%41liceOnly`,
    `%2e%2e/${ALICE}/INBOX`,
    `Snapshots/${d}/&AC4ALg-/&AC4ALg-/${ALICE}/INBOX`,
    `Snapshots/${d}/Alice&AE8-nly`,
    `snapshots/${d}/aliceonly`,
    `SNAPSHOTS/${d}/ALICEONLY`,
    `Snapshots/${d}/aliceONLY`,
    `Snapshots//${d}//AliceOnly`,
    `Snapshots/${d}/./AliceOnly`,
    `Snapshots/${d}/AliceOnly/`,
    `~${ALICE}/INBOX`,
    `#shared/${ALICE}/INBOX`,
    `Other Users/${ALICE}/INBOX`,
    `Snapshots/${d}/\u0000AliceOnly`,
  ];
}

function quoted(name: string): string {
  // A literal carries every byte, including NUL and quotes, exactly as written.
  const bytes = Buffer.from(name, 'utf8');
  return `{${bytes.length}+}\r\n${bytes.toString('latin1')}`;
}

describe.each([
  ['a plain login', BOB],
  ['a day-suffix login', `${BOB}#DAY`],
])("with %s, Bob never reaches Alice's snapshots", (_label, login) => {
  let wire: Wire;
  beforeAll(async () => {
    wire = await Wire.connect(server.port);
    expect((await wire.command('L', `LOGIN ${login.replace('DAY', day)} bob-pw-1`)).at(-1)).toMatch(/^L OK/);
  });
  afterAll(() => wire?.end());

  test('LIST shows only his own folders, for every pattern', async () => {
    const own = (await wire.command('l0', 'LIST "" "*"')).filter((line) => line.startsWith('* LIST'));
    expect(own.some((line) => line.includes('INBOX'))).toBe(true);
    for (const [i, [reference, pattern]] of [
      ['', '*'],
      ['', '%'],
      ['', '*AliceOnly*'],
      ['', `*${ALICE}*`],
      [`../${ALICE}/`, '*'],
      [`${ALICE}/`, '*'],
      ['', `../${ALICE}/*`],
      ['', `~${ALICE}/*`],
      [`Snapshots/${day}/`, '*Alice*'],
      ['', '*/../*'],
    ].entries()) {
      const reply = await wire.command(`l${i + 1}`, `LIST ${quoted(reference)} ${quoted(pattern)}`);
      expect(reply.at(-1)).toMatch(new RegExp(`^l${i + 1} (OK|NO|BAD)`));
      expect(reply.join('\n')).not.toMatch(/AliceOnly|alice-secret|e2e-iso-alice/i);
    }
  });

  test('SELECT, EXAMINE and STATUS fail for every hostile name, and nothing of Alice is ever sent', async () => {
    for (const [i, name] of hostileNames().entries()) {
      for (const verb of ['SELECT', 'EXAMINE', 'STATUS']) {
        const tag = `${verb[0].toLowerCase()}${i}`;
        const args = verb === 'STATUS' ? `${quoted(name)} (MESSAGES UIDNEXT UIDVALIDITY)` : quoted(name);
        const reply = await wire.command(tag, `${verb} ${args}`);
        expect(reply.at(-1)).toMatch(new RegExp(`^${tag} (NO|BAD) `));
        expect(reply.join('\n')).not.toMatch(/EXISTS|\* STATUS|alice-secret/);
        // A failed SELECT leaves no mailbox selected: there is nothing to FETCH from.
        const fetched = await wire.command(`${tag}f`, 'FETCH 1:* (BODY.PEEK[] ENVELOPE)');
        expect(fetched.at(-1)).toMatch(new RegExp(`^${tag}f BAD `));
        expect(fetched.join('\n')).not.toContain('alice-secret');
      }
    }
  });

  test('his own INBOX opens and holds only his mail', async () => {
    const inbox = login.includes('#') ? 'INBOX' : `Snapshots/${day}/INBOX`;
    expect((await wire.command('own', `EXAMINE "${inbox}"`)).join('\n')).toMatch(/^\* 2 EXISTS$/m);
    const bodies = await wire.command('ownf', 'FETCH 1:* (BODY.PEEK[])');
    expect(bodies.join('\n')).toContain('bob mail 2');
    expect(bodies.join('\n')).not.toContain('alice-secret');
  });
});

test("Bob's password opens neither Alice's account nor a day of it", async () => {
  for (const [i, user] of [ALICE, `${ALICE}#${day}`, `${ALICE.toUpperCase()}`, `${BOB}#${day}#${ALICE}`, `${ALICE}#${BOB}`].entries()) {
    const wire = await Wire.connect(server.port);
    try {
      const reply = await wire.command(`x${i}`, `LOGIN ${quoted(user)} bob-pw-1`);
      expect(reply.at(-1)).toMatch(new RegExp(`^x${i} NO `));
      expect((await wire.command(`y${i}`, 'LIST "" "*"')).at(-1)).toMatch(new RegExp(`^y${i} BAD `));
    } finally {
      wire.end();
    }
  }
});

test('the positive control: Alice herself does see her folder', async () => {
  const wire = await Wire.connect(server.port);
  try {
    expect((await wire.command('a', `LOGIN ${ALICE} alice-pw-1`)).at(-1)).toMatch(/^a OK/);
    const list = await wire.command('b', 'LIST "" "*"');
    expect(list).toContain(`* LIST (\\HasNoChildren) "/" "Snapshots/${day}/AliceOnly"`);
    expect((await wire.command('c', `STATUS "Snapshots/${day}/AliceOnly" (MESSAGES)`)).join('\n')).toContain('MESSAGES 1');
  } finally {
    wire.end();
  }
});
