import { startTestServer, TestClient, DAY } from './fakes.js';
import type { ImapServer } from '../../../src/proxy/server.js';

let server: ImapServer;
let client: TestClient;
beforeAll(async () => {
  const started = await startTestServer();
  server = started.server;
  client = await TestClient.connect(started.port);
  await client.command('x', 'LOGIN alice secret');
  await client.command('y', `EXAMINE "${DAY}/INBOX"`);
});
afterAll(async () => {
  client.end();
  await server.close();
});

describe('FETCH wiring', () => {
  test('FETCH streams each message body in sequence order', async () => {
    const lines = await client.command('f1', 'FETCH 1:* (FLAGS BODY.PEEK[])');
    expect(lines).toEqual([
      '* 1 FETCH (FLAGS (\\Seen) BODY[] {23}',
      'Subject: one',
      '',
      'Hello',
      ')',
      '* 2 FETCH (FLAGS () BODY[] {23}',
      'Subject: two',
      '',
      'World',
      ')',
      '* 3 FETCH (FLAGS (\\Seen \\Flagged) BODY[] {25}',
      'Subject: three',
      '',
      'Again',
      ')',
      'f1 OK FETCH completed',
    ]);
  });

  test('UID FETCH addresses UIDs, adds UID and skips missing ones', async () => {
    expect(await client.command('f2', 'UID FETCH 4:* RFC822.SIZE')).toEqual([
      '* 2 FETCH (UID 7 RFC822.SIZE 23)',
      '* 3 FETCH (UID 9 RFC822.SIZE 25)',
      'f2 OK UID FETCH completed',
    ]);
  });

  test('a message number beyond the mailbox or a bad attribute gets BAD', async () => {
    expect((await client.command('f3', 'FETCH 4 FLAGS')).at(-1)).toMatch(/^f3 BAD/);
    expect((await client.command('f4', 'FETCH 1 (FLAGS BOGUS)')).at(-1)).toMatch(/^f4 BAD/);
  });
});

describe('SEARCH, SORT and THREAD wiring', () => {
  test('SEARCH and UID SEARCH', async () => {
    expect(await client.command('s1', 'SEARCH UNSEEN')).toEqual(['* SEARCH 2', 's1 OK SEARCH completed']);
    expect(await client.command('s2', 'UID SEARCH SUBJECT two')).toEqual(['* SEARCH 7', 's2 OK UID SEARCH completed']);
    expect(await client.command('s3', 'SEARCH RETURN (COUNT) ALL')).toEqual(['* ESEARCH (TAG "s3") COUNT 3', 's3 OK SEARCH completed']);
    expect((await client.command('s4', 'SEARCH BOGUSKEY')).at(-1)).toMatch(/^s4 BAD/);
  });

  test('SORT and THREAD', async () => {
    expect(await client.command('o1', 'SORT (SUBJECT) UTF-8 ALL')).toEqual(['* SORT 1 3 2', 'o1 OK SORT completed']);
    expect(await client.command('o2', 'UID SORT (REVERSE SIZE) UTF-8 ALL')).toEqual(['* SORT 9 3 7', 'o2 OK UID SORT completed']);
    const thread = await client.command('t1', 'UID THREAD ORDEREDSUBJECT UTF-8 ALL');
    expect(thread[0]).toMatch(/^\* THREAD (\(\d+\)){3}$/);
    expect(thread.at(-1)).toBe('t1 OK UID THREAD completed');
    expect((await client.command('t2', 'THREAD BOGUS UTF-8 ALL')).at(-1)).toMatch(/^t2 BAD/);
  });
});
