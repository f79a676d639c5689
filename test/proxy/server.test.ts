import { fakeLoginService, startTestServer, TestClient, DAY } from './commands/fakes.js';
import type { ImapServer } from '../../src/proxy/server.js';

describe('IMAP server', () => {
  let server: ImapServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await startTestServer({ maxLineBytes: 1000, maxLiteralBytes: 2000 }));
  });
  afterAll(async () => {
    await server.close();
  });

  test('greets with capabilities and answers CAPABILITY, NOOP and LOGOUT', async () => {
    const client = await TestClient.connect(port);
    expect(client.lines[0]).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*AUTH=PLAIN.*\] /);
    const caps = await client.command('a1', 'capability');
    expect(caps[0]).toMatch(/^\* CAPABILITY IMAP4rev1 /);
    expect(caps.at(-1)).toBe('a1 OK CAPABILITY completed');
    expect((await client.command('a2', 'NOOP')).at(-1)).toMatch(/^a2 OK/);
    const bye = await client.command('a3', 'LOGOUT');
    expect(bye[0]).toMatch(/^\* BYE/);
    expect(bye.at(-1)).toMatch(/^a3 OK/);
    await client.closedByServer();
  });

  test('answers pipelined commands in order, including ones with literals', async () => {
    const client = await TestClient.connect(port);
    client.write(`p1 NOOP\r\np2 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\np3 SELECT "${DAY}/INBOX"\r\np4 BOGUS\r\np5 CHECK\r\n`);
    const lines = await client.waitFor((line) => line.startsWith('p5 '));
    const tagged = lines.filter((line) => /^p\d /.test(line));
    expect(tagged.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['p1 OK', 'p2 OK', 'p3 OK', 'p4 BAD', 'p5 OK']);
    client.end();
  });

  test('sends a continuation for a synchronising literal and proceeds after it', async () => {
    const client = await TestClient.connect(port);
    const from = client.lines.length;
    client.write('s1 LOGIN {5}\r\n');
    await client.waitFor((line) => line.startsWith('+ '), from);
    client.write('alice "secret"\r\n');
    expect((await client.waitFor((line) => line.startsWith('s1 '), from)).at(-1)).toMatch(/^s1 OK/);
    client.end();
  });

  test('an over-long line gets BAD and the next command still works', async () => {
    const client = await TestClient.connect(port);
    expect((await client.command('l1', `NOOP ${'x'.repeat(5000)}`)).at(-1)).toMatch(/^l1 BAD .*too long/);
    expect((await client.command('l2', 'NOOP')).at(-1)).toMatch(/^l2 OK/);
    client.end();
  });

  test('an over-size synchronising literal is refused without a continuation', async () => {
    const client = await TestClient.connect(port);
    const answer = await client.command('l1', 'LOGIN alice {5000}');
    expect(answer).toEqual([expect.stringMatching(/^l1 NO \[TOOBIG\]/)]);
    expect((await client.command('l2', 'NOOP')).at(-1)).toMatch(/^l2 OK/);
    client.end();
  });

  test('an over-size non-synchronising literal is swallowed and the stream stays in sync', async () => {
    const client = await TestClient.connect(port);
    const from = client.lines.length;
    client.write(`l1 LOGIN alice {5000+}\r\n${'z'.repeat(5000)}\r\nl2 NOOP\r\n`);
    const lines = await client.waitFor((line) => line.startsWith('l2 '), from);
    expect(lines).toEqual([expect.stringMatching(/^l1 NO \[TOOBIG\]/), 'l2 OK NOOP completed']);
    client.end();
  });

  test('garbage gets BAD (untagged when there is no tag) and the connection lives on', async () => {
    const client = await TestClient.connect(port);
    const from = client.lines.length;
    client.write('\x00\x01\xff garbage\r\n{{{\r\ng1 FETCH (((\r\ng2 NOOP\r\n');
    const lines = await client.waitFor((line) => line.startsWith('g2 '), from);
    expect(lines).toEqual([
      expect.stringMatching(/^\* BAD/),
      expect.stringMatching(/^\* BAD/),
      expect.stringMatching(/^g1 BAD/),
      'g2 OK NOOP completed',
    ]);
    client.end();
  });

  test('commands in the wrong state get BAD', async () => {
    const client = await TestClient.connect(port);
    expect((await client.command('w1', 'SELECT INBOX')).at(-1)).toMatch(/^w1 BAD SELECT is only valid after login/);
    expect((await client.command('w2', 'FETCH 1 FLAGS')).at(-1)).toMatch(/^w2 BAD/);
    await client.command('w3', 'LOGIN alice secret');
    expect((await client.command('w4', 'LOGIN alice secret')).at(-1)).toMatch(/^w4 BAD/);
    expect((await client.command('w5', 'CLOSE')).at(-1)).toMatch(/^w5 BAD/);
    client.end();
  });
});

describe('IMAP server lifecycle', () => {
  test('close() sends BYE to open sessions and resolves when they are gone', async () => {
    const { server, port } = await startTestServer();
    const first = await TestClient.connect(port);
    const second = await TestClient.connect(port);
    await second.command('a', 'LOGIN alice secret');
    await server.close();
    for (const client of [first, second]) {
      await client.closedByServer();
      expect(client.lines.at(-1)).toMatch(/^\* BYE Server shutting down/);
    }
    expect(server.connectionCount()).toBe(0);
  });

  test('idle clients are logged out with BYE after the timeout', async () => {
    const { server, port } = await startTestServer({ idleTimeoutSeconds: 0.3 });
    const client = await TestClient.connect(port);
    await client.closedByServer();
    expect(client.lines.at(-1)).toMatch(/^\* BYE Autologout/);
    await server.close();
  });

  test('connections beyond the per-address limit are turned away with BYE', async () => {
    const { server, port } = await startTestServer({ maxConnectionsPerIp: 2 });
    const kept = [await TestClient.connect(port), await TestClient.connect(port)];
    const refused = await TestClient.connect(port);
    expect(refused.lines[0]).toMatch(/^\* BYE Too many connections/);
    await refused.closedByServer();
    kept[0].end();
    while (server.connectionCount() > 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const again = await TestClient.connect(port);
    expect(again.lines[0]).toMatch(/^\* OK/);
    again.end();
    kept[1].end();
    await server.close();
  });
});

describe('connection limits and timeouts', () => {
  test('connections beyond the server-wide limit are turned away with BYE, whatever their addresses', async () => {
    const { server, port } = await startTestServer({ maxConnections: 3, maxConnectionsPerIp: 10 });
    const kept = [];
    for (const localAddress of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) kept.push(await TestClient.connect(port, { localAddress }));
    for (const client of kept) expect(client.lines[0]).toMatch(/^\* OK/);
    const refused = await TestClient.connect(port, { localAddress: '127.0.0.5' });
    expect(refused.lines[0]).toMatch(/^\* BYE Server busy: too many connections/);
    await refused.closedByServer();
    expect(server.connectionCount()).toBe(3);
    kept[0].end();
    while (server.connectionCount() > 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const again = await TestClient.connect(port, { localAddress: '127.0.0.5' });
    expect(again.lines[0]).toMatch(/^\* OK/);
    for (const client of [again, ...kept]) client.end();
    await server.close();
  });

  test('a connection that has not logged in within the pre-auth timeout gets BYE, however busy it keeps', async () => {
    const { server, port } = await startTestServer({ preAuthTimeoutSeconds: 1, idleTimeoutSeconds: 10 });
    const client = await TestClient.connect(port);
    let n = 0;
    // NOOPs keep the connection active: only a login lifts the pre-auth deadline, not activity.
    while (!client.lines.some((line) => line.startsWith('* BYE')) && n < 50) {
      client.write(`n${++n} NOOP\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.closedByServer();
    expect(client.lines.find((line) => line.startsWith('* BYE'))).toMatch(/^\* BYE Too long without logging in/);
    expect(n).toBeGreaterThan(3);
    await server.close();
  });

  test('after login the pre-auth timeout no longer applies; the idle timeout does', async () => {
    const { server, port } = await startTestServer({ preAuthTimeoutSeconds: 0.3, idleTimeoutSeconds: 60 });
    const client = await TestClient.connect(port);
    expect((await client.command('l', 'LOGIN alice secret')).at(-1)).toMatch(/^l OK/);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await client.command('n', 'NOOP')).at(-1)).toMatch(/^n OK/);
    expect(client.lines.some((line) => line.startsWith('* BYE'))).toBe(false);
    client.end();
    await server.close();
  });
});

describe('half-closed connections', () => {
  test('a client that pipelines commands and then shuts its sending side gets every answer', async () => {
    // A login that takes a moment, as a real one does: the client's end of input arrives meanwhile.
    const logins = fakeLoginService();
    const slowLogin = async (...args: Parameters<typeof logins.login>) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return logins.login(...args);
    };
    const { server, port } = await startTestServer({ loginService: { login: slowLogin } });
    const client = await TestClient.connect(port);
    client.write(`h1 NOOP\r\nh2 LOGIN alice secret\r\nh3 SELECT "${DAY}/INBOX"\r\nh4 FETCH 1 (FLAGS)\r\nh5 NOOP\r\n`);
    client.socket.end();
    await client.closedByServer();
    const tagged = client.lines.filter((line) => /^h\d /.test(line));
    expect(tagged.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['h1 OK', 'h2 OK', 'h3 OK', 'h4 OK', 'h5 OK']);
    await server.close();
  });
});
