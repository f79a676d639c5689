import { startTestServer, TestClient, DAY } from './fakes.js';
import type { ImapServer } from '../../../src/proxy/server.js';

let server: ImapServer;
let client: TestClient;
beforeAll(async () => {
  const started = await startTestServer();
  server = started.server;
  client = await TestClient.connect(started.port);
  await client.command('x', 'LOGIN alice secret');
});
afterAll(async () => {
  client.end();
  await server.close();
});

const untagged = (lines: string[]) => lines.filter((line) => line.startsWith('* '));

describe('LIST', () => {
  test('LIST "" "" returns the hierarchy delimiter', async () => {
    expect(await client.command('a', 'LIST "" ""')).toEqual(['* LIST (\\Noselect) "/" ""', 'a OK LIST completed']);
  });

  test('% lists one level, with \\Noselect \\HasChildren for days', async () => {
    expect(untagged(await client.command('a', 'LIST "" %'))).toEqual(['* LIST (\\Noselect \\HasChildren) "/" "Snapshots"']);
    expect(untagged(await client.command('b', 'LIST "Snapshots/" %'))).toEqual([`* LIST (\\Noselect \\HasChildren) "/" "${DAY}"`]);
  });

  test('* lists everything below, implies missing parents and encodes names in modified UTF-7', async () => {
    expect(untagged(await client.command('a', `LIST "${DAY}/" *`))).toEqual([
      `* LIST (\\Noselect \\HasChildren) "/" "${DAY}/Archive"`,
      `* LIST (\\HasNoChildren) "/" "${DAY}/Archive/2025"`,
      `* LIST (\\HasNoChildren) "/" "${DAY}/Caf&AOk-"`,
      `* LIST (\\HasNoChildren) "/" "${DAY}/INBOX"`,
    ]);
  });

  test('% in the middle of a pattern does not cross the delimiter', async () => {
    expect(untagged(await client.command('a', 'LIST "" Snapshots/%/INBOX'))).toEqual([`* LIST (\\HasNoChildren) "/" "${DAY}/INBOX"`]);
    expect(untagged(await client.command('b', 'LIST "" %/INBOX'))).toEqual([]);
  });

  test('LIST (SUBSCRIBED) and RETURN (SUBSCRIBED) report every real folder as subscribed', async () => {
    const lines = untagged(await client.command('a', `LIST (SUBSCRIBED) "" "${DAY}/*"`));
    expect(lines).toEqual([
      `* LIST (\\HasNoChildren \\Subscribed) "/" "${DAY}/Archive/2025"`,
      `* LIST (\\HasNoChildren \\Subscribed) "/" "${DAY}/Caf&AOk-"`,
      `* LIST (\\HasNoChildren \\Subscribed) "/" "${DAY}/INBOX"`,
    ]);
    const returned = untagged(await client.command('b', 'LIST "" "Snapshots" RETURN (SUBSCRIBED CHILDREN)'));
    expect(returned).toEqual(['* LIST (\\Noselect \\HasChildren \\Subscribed) "/" "Snapshots"']);
  });

  test('several patterns and RETURN (STATUS) (LIST-STATUS)', async () => {
    const lines = untagged(
      await client.command('a', `LIST (REMOTE) "" ("${DAY}/INBOX" "${DAY}/Archive") RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN UIDNEXT))`),
    );
    expect(lines).toEqual([
      `* LIST (\\NonExistent \\HasChildren) "/" "${DAY}/Archive"`,
      `* LIST (\\HasNoChildren) "/" "${DAY}/INBOX"`,
      `* STATUS "${DAY}/INBOX" (MESSAGES 3 UNSEEN 1 UIDNEXT 10)`,
    ]);
  });

  test('invalid LIST-EXTENDED syntax gets BAD', async () => {
    expect((await client.command('a', 'LIST (BOGUS) "" *')).at(-1)).toMatch(/^a BAD/);
    expect((await client.command('b', 'LIST (RECURSIVEMATCH) "" *')).at(-1)).toMatch(/^b BAD/);
    expect((await client.command('c', 'LIST "" * RETURN (STATUS (FOO))')).at(-1)).toMatch(/^c BAD/);
  });

  test('LSUB returns every folder as subscribed', async () => {
    expect(untagged(await client.command('a', `LSUB "${DAY}/" %`))).toEqual([
      `* LSUB (\\Noselect) "/" "${DAY}/Archive"`,
      `* LSUB () "/" "${DAY}/Caf&AOk-"`,
      `* LSUB () "/" "${DAY}/INBOX"`,
    ]);
  });

});
