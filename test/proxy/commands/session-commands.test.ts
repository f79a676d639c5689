import { startTestServer, TestClient, DAY } from './fakes.js';
import type { ImapServer } from '../../../src/proxy/server.js';

let server: ImapServer;
let port: number;
beforeAll(async () => {
  ({ server, port } = await startTestServer({ idleKeepAliveSeconds: 0.1 }));
});
afterAll(async () => {
  await server.close();
});

async function loggedIn(): Promise<TestClient> {
  const client = await TestClient.connect(port);
  await client.command('login', 'LOGIN alice secret');
  return client;
}

describe('SELECT and EXAMINE', () => {
  test('EXAMINE answers like SELECT, read-only, and a missing folder is NONEXISTENT', async () => {
    const client = await loggedIn();
    const lines = await client.command('e1', `EXAMINE "${DAY}/Archive/2025"`);
    expect(lines).toContain('* 1 EXISTS');
    expect(lines).toContain('* OK [PERMANENTFLAGS ()] Snapshots are read-only');
    expect(lines.some((line) => line.includes('[UNSEEN'))).toBe(false);
    expect(lines.at(-1)).toBe('e1 OK [READ-ONLY] EXAMINE completed; snapshots are read-only');
    const missing = await client.command('e2', `SELECT "${DAY}/Nope"`);
    expect(missing.at(-1)).toMatch(/^e2 NO \[NONEXISTENT\]/);
    // A failed SELECT leaves no mailbox selected.
    expect((await client.command('e3', 'CHECK')).at(-1)).toMatch(/^e3 BAD/);
    client.end();
  });

  test('CLOSE and UNSELECT leave the mailbox and expunge nothing', async () => {
    const client = await loggedIn();
    await client.command('s1', `SELECT "${DAY}/INBOX"`);
    expect(await client.command('s2', 'CLOSE')).toEqual([expect.stringMatching(/^s2 OK/)]);
    await client.command('s3', `SELECT "${DAY}/INBOX"`);
    expect(await client.command('s4', 'UNSELECT')).toEqual(['s4 OK UNSELECT completed']);
    const again = await client.command('s5', `SELECT "${DAY}/INBOX"`);
    expect(again).toContain('* 3 EXISTS');
    client.end();
  });
});

describe('STATUS', () => {
  test('reports every supported item', async () => {
    const client = await loggedIn();
    const lines = await client.command('t1', `STATUS "${DAY}/INBOX" (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)`);
    const size = Buffer.byteLength('Subject: one\r\n\r\nHello\r\nSubject: two\r\n\r\nWorld\r\nSubject: three\r\n\r\nAgain\r\n');
    expect(lines).toEqual([
      `* STATUS "${DAY}/INBOX" (MESSAGES 3 RECENT 0 UIDNEXT 10 UIDVALIDITY 1700000000 UNSEEN 1 HIGHESTMODSEQ 42 SIZE ${size})`,
      't1 OK STATUS completed',
    ]);
    expect((await client.command('t2', `STATUS "${DAY}/INBOX" (BOGUS)`)).at(-1)).toMatch(/^t2 BAD/);
    expect((await client.command('t3', 'STATUS Snapshots (MESSAGES)')).at(-1)).toMatch(/^t3 NO \[NONEXISTENT\]/);
    client.end();
  });
});

describe('read-only refusals', () => {
  const selectedWrites = ['STORE 1 +FLAGS (\\Deleted)', 'UID STORE 3 FLAGS (\\Seen)', 'EXPUNGE', 'UID EXPUNGE 3', 'COPY 1 INBOX', 'UID COPY 3 INBOX', 'MOVE 1 INBOX', 'UID MOVE 3 INBOX'];
  const anyWrites = ['CREATE Foo', 'DELETE Snapshots', 'RENAME Snapshots Foo', 'SUBSCRIBE Snapshots', 'UNSUBSCRIBE Snapshots', 'SETACL INBOX bob lr', 'DELETEACL INBOX bob', 'SETQUOTA "" (STORAGE 10)'];

  test('every write gets NO [CANNOT] with a reason and the connection stays usable', async () => {
    const client = await loggedIn();
    await client.command('s', `SELECT "${DAY}/INBOX"`);
    let n = 0;
    for (const write of [...selectedWrites, ...anyWrites]) {
      const tag = `w${n++}`;
      const lines = await client.command(tag, write);
      expect(lines.at(-1)).toMatch(new RegExp(`^${tag} NO \\[CANNOT\\] \\S+`));
      expect(lines.at(-1)).not.toMatch(/READ-ONLY|TRYCREATE/);
    }
    expect(await client.command('n', 'NOOP')).toEqual(['n OK NOOP completed']);
    client.end();
  });

  test('APPEND with a literal is refused and the literal does not leak into the stream', async () => {
    const client = await loggedIn();
    const from = client.lines.length;
    client.write('a1 APPEND INBOX (\\Seen) {23+}\r\nSubject: x\r\n\r\nb2 NOOP\r\n\r\na3 NOOP\r\n');
    const lines = await client.waitFor((line) => line.startsWith('a3 '), from);
    expect(lines).toEqual([expect.stringMatching(/^a1 NO \[CANNOT\]/), 'a3 OK NOOP completed']);
    const sync = client.lines.length;
    client.write('a4 APPEND INBOX {5}\r\n');
    await client.waitFor((line) => line.startsWith('+ '), sync);
    client.write('hello\r\n');
    expect((await client.waitFor((line) => line.startsWith('a4 '), sync)).at(-1)).toMatch(/^a4 NO \[CANNOT\]/);
    client.end();
  });
});

describe('IDLE', () => {
  test('sends keep-alive lines until DONE', async () => {
    const client = await loggedIn();
    const from = client.lines.length;
    client.write('i1 IDLE\r\n');
    await client.waitFor((line) => line === '+ idling', from);
    await client.waitFor((line) => line === '* OK Still here', from);
    client.write('DONE\r\n');
    expect((await client.waitFor((line) => line.startsWith('i1 '), from)).at(-1)).toBe('i1 OK IDLE terminated');
    expect(await client.command('i2', 'NOOP')).toEqual(['i2 OK NOOP completed']);
    client.end();
  });

  test('anything but DONE ends IDLE with BAD', async () => {
    const client = await loggedIn();
    const from = client.lines.length;
    client.write('i1 IDLE\r\n');
    await client.waitFor((line) => line === '+ idling', from);
    client.write('i2 NOOP\r\n');
    expect((await client.waitFor((line) => line.startsWith('i1 '), from)).at(-1)).toMatch(/^i1 BAD/);
    client.end();
  });
});

describe('login and authentication', () => {
  test('LOGIN failures carry the LoginService code', async () => {
    const client = await TestClient.connect(port);
    expect((await client.command('l1', 'LOGIN alice wrong')).at(-1)).toBe('l1 NO [AUTHENTICATIONFAILED] Invalid credentials');
    expect((await client.command('l2', 'LOGIN down x')).at(-1)).toMatch(/^l2 NO \[UNAVAILABLE\] The mail server is not answering/);
    client.end();
  });

  test('AUTHENTICATE PLAIN with a continuation, cancellation and a foreign authzid', async () => {
    const client = await TestClient.connect(port);
    const from = client.lines.length;
    client.write('p1 AUTHENTICATE PLAIN\r\n');
    await client.waitFor((line) => line.startsWith('+'), from);
    client.write('*\r\n');
    expect((await client.waitFor((line) => line.startsWith('p1 '), from)).at(-1)).toMatch(/^p1 BAD/);
    const foreign = Buffer.from('bob\0alice\0secret').toString('base64');
    expect((await client.command('p2', `AUTHENTICATE PLAIN ${foreign}`)).at(-1)).toMatch(/^p2 NO \[AUTHORIZATIONFAILED\]/);
    const next = client.lines.length;
    client.write('p3 AUTHENTICATE plain\r\n');
    await client.waitFor((line) => line.startsWith('+'), next);
    client.write(`${Buffer.from('alice\0alice\0secret').toString('base64')}\r\n`);
    expect((await client.waitFor((line) => line.startsWith('p3 '), next)).at(-1)).toMatch(/^p3 OK \[CAPABILITY /);
    client.end();
  });
});

describe('ID, ENABLE, NAMESPACE and rights', () => {
  test('ID answers with the server identity', async () => {
    const client = await TestClient.connect(port);
    expect(await client.command('d1', 'ID ("name" "test" "version" "1")')).toEqual(['* ID ("name" "Mail Time Machine" "vendor" "mtm")', 'd1 OK ID completed']);
    expect((await client.command('d2', 'ID NIL')).at(-1)).toBe('d2 OK ID completed');
    expect((await client.command('d3', 'ID foo')).at(-1)).toMatch(/^d3 BAD/);
    client.end();
  });

  test('ENABLE UTF8=ACCEPT switches mailbox names to UTF-8 both ways', async () => {
    const client = await loggedIn();
    expect(await client.command('u1', 'ENABLE UTF8=ACCEPT X-UNSUPPORTED')).toEqual(['* ENABLED UTF8=ACCEPT', 'u1 OK ENABLE completed']);
    expect(await client.command('u2', `LIST "" "${DAY}/Caf*"`)).toEqual([`* LIST (\\HasNoChildren) "/" "${DAY}/Café"`, 'u2 OK LIST completed']);
    expect(await client.command('u3', `STATUS "${DAY}/Café" (MESSAGES)`)).toEqual([`* STATUS "${DAY}/Café" (MESSAGES 0)`, 'u3 OK STATUS completed']);
    client.end();
  });

  test('NAMESPACE, MYRIGHTS, GETACL and LISTRIGHTS', async () => {
    const client = await loggedIn();
    expect((await client.command('n1', 'NAMESPACE'))[0]).toBe('* NAMESPACE (("" "/")) NIL NIL');
    expect((await client.command('n2', `MYRIGHTS "${DAY}/INBOX"`))[0]).toBe(`* MYRIGHTS "${DAY}/INBOX" lr`);
    expect((await client.command('n3', `GETACL "${DAY}/INBOX"`))[0]).toBe(`* ACL "${DAY}/INBOX" "alice" lr`);
    expect((await client.command('n4', `LISTRIGHTS "${DAY}/INBOX" bob`))[0]).toBe(`* LISTRIGHTS "${DAY}/INBOX" "bob" lr`);
    expect((await client.command('n5', 'MYRIGHTS Nope')).at(-1)).toMatch(/^n5 NO \[NONEXISTENT\]/);
    client.end();
  });
});
