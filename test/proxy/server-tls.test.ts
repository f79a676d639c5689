import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { startTestServer, TestClient, fakeLoginService } from './commands/fakes.js';
import type { ImapServer } from '../../src/proxy/server.js';

let dir: string;
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtm-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'key.pem'));
  cert = readFileSync(join(dir, 'cert.pem'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS and plaintext policy', () => {
  let server: ImapServer;
  let port: number;
  let tlsPort: number;
  const logins = fakeLoginService();
  beforeAll(async () => {
    const started = await startTestServer({ allowPlaintextAuth: false, tls: { key, cert, port: 0 }, loginService: logins });
    ({ server, port } = started);
    tlsPort = started.tlsPort!;
  });
  afterAll(async () => {
    await server.close();
  });

  test('without TLS, LOGINDISABLED is advertised and passwords are refused before use', async () => {
    const client = await TestClient.connect(port);
    expect(client.lines[0]).toMatch(/STARTTLS/);
    expect(client.lines[0]).toMatch(/LOGINDISABLED/);
    expect(client.lines[0]).not.toMatch(/AUTH=PLAIN/);
    expect((await client.command('a1', 'LOGIN alice secret')).at(-1)).toMatch(/^a1 NO \[PRIVACYREQUIRED\]/);
    const plain = Buffer.from('\0alice\0secret').toString('base64');
    expect((await client.command('a2', `AUTHENTICATE PLAIN ${plain}`)).at(-1)).toMatch(/^a2 NO \[PRIVACYREQUIRED\]/);
    expect(logins.attempts).toHaveLength(0);
    client.end();
  });

  test('STARTTLS upgrades the connection, drops pipelined plaintext, then allows LOGIN', async () => {
    const client = await TestClient.connect(port);
    const from = client.lines.length;
    // The injected command after STARTTLS must never run (RFC 3501 §6.2.1).
    client.write('t1 STARTTLS\r\nt2 LOGIN alice secret\r\n');
    expect(await client.waitFor((line) => line.startsWith('t1 '), from)).toEqual(['t1 OK Begin TLS negotiation now']);
    client.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: client.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    const upgraded = new TestClient(secure);
    const caps = await upgraded.command('t3', 'CAPABILITY');
    expect(caps[0]).toMatch(/AUTH=PLAIN/);
    expect(caps[0]).not.toMatch(/STARTTLS|LOGINDISABLED/);
    expect(caps.some((line) => line.startsWith('t2 '))).toBe(false);
    expect((await upgraded.command('t4', 'LOGIN alice secret')).at(-1)).toMatch(/^t4 OK/);
    upgraded.end();
  });

  test('implicit TLS port serves IMAP and allows AUTHENTICATE PLAIN', async () => {
    const client = await TestClient.connect(tlsPort, { tls: true });
    expect(client.lines[0]).toMatch(/^\* OK \[CAPABILITY .*AUTH=PLAIN/);
    expect(client.lines[0]).not.toMatch(/STARTTLS/);
    const plain = Buffer.from('\0alice\0secret').toString('base64');
    expect((await client.command('i1', `AUTHENTICATE PLAIN ${plain}`)).at(-1)).toMatch(/^i1 OK/);
    client.end();
  });
});

describe('COMPRESS=DEFLATE', () => {
  test('after OK both directions are deflated and commands keep working', async () => {
    const { server, port } = await startTestServer();
    const client = await TestClient.connect(port);
    await client.command('c1', 'LOGIN alice secret');
    expect(await client.command('c2', 'COMPRESS DEFLATE')).toEqual(['c2 OK DEFLATE active']);
    const raw = client.socket;
    raw.removeAllListeners('data');
    const inflate = zlib.createInflateRaw();
    const deflate = zlib.createDeflateRaw();
    raw.pipe(inflate);
    deflate.pipe(raw);
    const lines: string[] = [];
    let text = '';
    inflate.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const parts = text.split('\r\n');
      text = parts.pop()!;
      lines.push(...parts);
    });
    deflate.write('c3 NAMESPACE\r\nc4 COMPRESS DEFLATE\r\n');
    deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    while (!lines.some((line) => line.startsWith('c4 '))) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lines).toEqual(['* NAMESPACE (("" "/")) NIL NIL', 'c3 OK NAMESPACE completed', expect.stringMatching(/^c4 NO \[COMPRESSIONACTIVE\]/)]);
    raw.destroy();
    await server.close();
  });
});

test('over implicit TLS, a client that pipelines commands and then half-closes gets every answer', async () => {
  // A login that takes a moment, as a real one does: the client's end of input arrives meanwhile.
  const logins = fakeLoginService();
  const slowLogin = async (...args: Parameters<typeof logins.login>) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return logins.login(...args);
  };
  const { server, tlsPort } = await startTestServer({ allowPlaintextAuth: false, tls: { key, cert, port: 0 }, loginService: { login: slowLogin } });
  const client = await TestClient.connect(tlsPort!, { tls: true });
  client.write('h1 NOOP\r\nh2 LOGIN alice secret\r\nh3 NOOP\r\n');
  client.socket.end();
  await client.closedByServer();
  const tagged = client.lines.filter((line) => /^h\d /.test(line));
  expect(tagged.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['h1 OK', 'h2 OK', 'h3 OK']);
  await server.close();
});
