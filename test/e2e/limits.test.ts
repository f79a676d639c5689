/**
 * Issue 3 acceptance, "Limits": failed-login limits, over-long lines and over-size literals that
 * leave the stream in sync, autologout of idle sessions, and STARTTLS / implicit TLS with a
 * self-signed certificate made here.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { tempDir } from '../fixtures/mtm.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';
import { Wire } from './wire.js';

const ACCOUNT = 'e2e-limits';
const OTHER = 'e2e-limits-other';
const TLS_ACCOUNT = 'e2e-limits-tls';
const seedOne = async (live: import('imapflow').ImapFlow) => {
  await live.append('INBOX', Buffer.from('From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n'));
};

/** Plain port, plaintext LOGIN allowed, smallest line and literal limits the config accepts. */
let plain: SnapshotServer;
/** TLS listeners, no plaintext LOGIN, short autologout. */
let secure: SnapshotServer;
let certFingerprint: string;

beforeAll(async () => {
  const dir = tempDir('e2e-tls');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  certFingerprint = new X509Certificate(readFileSync(cert)).fingerprint256;
  plain = await startSnapshotServer({
    accounts: [
      { user: ACCOUNT, password: 'limits-pw-1', seed: seedOne },
      { user: OTHER, password: 'other-pw-1', seed: seedOne },
    ],
    server: { maxLineBytes: 8192, maxLiteralBytes: 1024 },
  });
  secure = await startSnapshotServer({
    accounts: [{ user: TLS_ACCOUNT, password: 'tls-pw-1', seed: seedOne }],
    server: { allowPlaintextAuth: false, idleTimeoutSeconds: 2, tls: { key, cert, port: 0 } },
  });
  expect(secure.tlsPort).toBeGreaterThan(0);
}, 120000);

afterAll(async () => {
  await plain?.stop();
  await secure?.stop();
});

describe('framing limits', () => {
  let wire: Wire;
  beforeAll(async () => {
    wire = await Wire.connect(plain.port);
    expect((await wire.command('L', `LOGIN ${ACCOUNT} limits-pw-1`)).at(-1)).toMatch(/^L OK/);
    expect((await wire.command('E', `EXAMINE "Snapshots/${plain.day}/INBOX"`)).at(-1)).toMatch(/^E OK/);
  });
  afterAll(() => wire?.end());

  test('an over-long command line gets BAD and the next command is answered normally', async () => {
    const from = wire.lines.length;
    wire.write(`o1 SEARCH SUBJECT "${'x'.repeat(10_000)}"\r\no2 UID SEARCH ALL\r\n`);
    const lines = await wire.waitFor((line) => line.startsWith('o2 '), from);
    expect(lines.find((line) => line.startsWith('o1 '))).toMatch(/^o1 BAD /);
    expect(lines).toContain('* SEARCH 1');
    expect(lines.at(-1)).toMatch(/^o2 OK/);
  });

  test('a line just under the limit is still accepted', async () => {
    const reply = await wire.command('o3', `SEARCH SUBJECT "${'y'.repeat(8000)}"`);
    expect(reply.at(-1)).toMatch(/^o3 OK/);
  });

  test('an over-size synchronising literal is refused without a continuation; the client can go on', async () => {
    const reply = await wire.command('t1', 'SEARCH TEXT {5000}');
    expect(reply).toHaveLength(1);
    expect(reply[0]).toMatch(/^t1 (NO|BAD) /);
    expect((await wire.command('t2', 'NOOP')).at(-1)).toMatch(/^t2 OK/);
  });

  test('an over-size LITERAL+ literal is swallowed whole: its bytes never run as commands', async () => {
    const payload = `${'z'.repeat(2000)}\r\nz1 LOGOUT\r\n${'z'.repeat(2000)}`;
    const from = wire.lines.length;
    wire.write(`t3 SEARCH TEXT {${payload.length}+}\r\n${payload}\r\nt4 UID SEARCH ALL\r\n`);
    const lines = await wire.waitFor((line) => line.startsWith('t4 '), from);
    expect(lines.find((line) => line.startsWith('t3 '))).toMatch(/^t3 (NO|BAD) /);
    expect(lines.some((line) => line.startsWith('z1 ') || line.startsWith('* BYE'))).toBe(false);
    expect(lines.at(-1)).toMatch(/^t4 OK/);
  });
});

describe('TLS', () => {
  test('the plain port advertises STARTTLS and LOGINDISABLED, and refuses LOGIN before STARTTLS', async () => {
    const wire = await Wire.connect(secure.port);
    try {
      expect(wire.lines[0]).toMatch(/STARTTLS/);
      expect(wire.lines[0]).toMatch(/LOGINDISABLED/);
      expect((await wire.command('a', `LOGIN ${TLS_ACCOUNT} tls-pw-1`)).at(-1)).toMatch(/^a NO /);
    } finally {
      wire.end();
    }
  });

  test('STARTTLS upgrades the connection with our certificate; LOGIN and EXAMINE then work', async () => {
    const wire = await Wire.connect(secure.port);
    expect((await wire.command('s', 'STARTTLS')).at(-1)).toMatch(/^s OK/);
    const tls = await wire.startTls();
    try {
      expect((tls.socket as TLSSocket).getPeerX509Certificate()!.fingerprint256).toBe(certFingerprint);
      const caps = await tls.command('c', 'CAPABILITY');
      expect(caps[0]).not.toMatch(/LOGINDISABLED|STARTTLS/);
      expect((await tls.command('l', `LOGIN ${TLS_ACCOUNT} tls-pw-1`)).at(-1)).toMatch(/^l OK/);
      expect((await tls.command('e', `EXAMINE "Snapshots/${secure.day}/INBOX"`)).join('\n')).toMatch(/^\* 1 EXISTS$/m);
    } finally {
      tls.end();
    }
  });

  test('the implicit-TLS port serves the same, with our certificate', async () => {
    const tls = await Wire.connect(secure.tlsPort!, { tls: true });
    try {
      expect((tls.socket as TLSSocket).getPeerX509Certificate()!.fingerprint256).toBe(certFingerprint);
      expect(tls.lines[0]).toMatch(/^\* OK /);
      expect(tls.lines[0]).not.toMatch(/LOGINDISABLED/);
      expect((await tls.command('l', `LOGIN ${TLS_ACCOUNT} tls-pw-1`)).at(-1)).toMatch(/^l OK/);
      const body = await tls.command('f', `EXAMINE "Snapshots/${secure.day}/INBOX"`);
      expect(body.at(-1)).toMatch(/^f OK \[READ-ONLY\]/);
      expect((await tls.command('g', 'FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]')).join('\n')).toContain('Subject: hello');
    } finally {
      tls.end();
    }
  });
});

test('an idle session is logged out with BYE after the configured time; an active one is not', async () => {
  const idle = await Wire.connect(secure.tlsPort!, { tls: true });
  const active = await Wire.connect(secure.tlsPort!, { tls: true });
  expect((await idle.command('l', `LOGIN ${TLS_ACCOUNT} tls-pw-1`)).at(-1)).toMatch(/^l OK/);
  expect((await active.command('l', `LOGIN ${TLS_ACCOUNT} tls-pw-1`)).at(-1)).toMatch(/^l OK/);
  let n = 0;
  let sinceIdleClosed = 0;
  // The active client sends a NOOP every 500 ms until the idle one has been logged out, and then
  // six more (3 s, longer than the 2 s timeout again): only then has the active session itself
  // lived longer than the timeout. (Counting NOOPs before the idle one's BYE alone depended on how
  // fast the two logins went on a loaded machine.)
  const keepBusy = (async () => {
    while (sinceIdleClosed < 6) {
      expect((await active.command(`n${++n}`, 'NOOP')).at(-1)).toMatch(/^n\d+ OK/);
      if (idle.closed) sinceIdleClosed += 1;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  await idle.waitFor((line) => line.startsWith('* BYE'));
  await idle.closedByServer();
  await keepBusy;
  expect(sinceIdleClosed).toBe(6);
  expect(active.closed).toBe(false);
  expect((await active.command('z', 'NOOP')).at(-1)).toMatch(/^z OK/);
  active.end();
});

// Last: it locks 127.0.0.1 out of ACCOUNT on this server for the rest of the run.
test('after 10 wrong passwords that user is refused from this address, even with the right password', async () => {
  const attempt = async (user: string, password: string): Promise<string> => {
    const wire = await Wire.connect(plain.port);
    try {
      return (await wire.command('a', `LOGIN ${user} ${password}`)).at(-1)!;
    } finally {
      wire.end();
    }
  };
  const hash = createHash('sha256').update('limits').digest('hex').slice(0, 8);
  // One wrong password, repeated: Dovecot then does not raise its own per-address penalty further.
  for (let i = 0; i < 10; i++) expect(await attempt(ACCOUNT, `wrong-${hash}`)).toMatch(/^a NO \[AUTHENTICATIONFAILED\] /);
  const refused = await attempt(ACCOUNT, 'limits-pw-1');
  expect(refused).toMatch(/^a NO /);
  expect(refused).toMatch(/too many/i);
  expect(refused).not.toContain('limits-pw-1');
  // Only that user from this address: another account still logs in from here.
  expect(await attempt(OTHER, 'other-pw-1')).toMatch(/^a OK /);
}, 120000);
