import { createServer, type Server, type Socket } from 'node:net';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { type LiveServer, originatingClient, verifyWithLiveServer } from '../../src/upstream/login-check.js';

const testbed = testbedFromEnv();
// Dovecot slows repeated failures from one address down (auth penalty, up to 15 s): allow for it.
const upstream: LiveServer = { host: testbed.host, port: testbed.port, tls: 'none', timeoutMs: 30_000 };
const PASSWORD = 'Verifier-Secret-91!';

beforeAll(() => {
  addUser(testbed, 'verifier-alice', PASSWORD);
});

/** A stand-in upstream that answers every connection with `greet` (for failures Dovecot won't produce). */
async function fakeUpstream(greet: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(greet);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

/**
 * A stand-in upstream speaking just enough IMAP: greets with `capabilities`, answers CAPABILITY,
 * answers LOGIN with `answerLogin(tag, line)`, and records every line the client sent.
 */
async function scriptedUpstream(capabilities: string, answerLogin: (tag: string, line: string) => string) {
  const received: string[] = [];
  const upstreamServer = await fakeUpstream((socket) => {
    socket.write(`* OK [CAPABILITY ${capabilities}] ready\r\n`);
    socket.on('data', (chunk) => {
      for (const line of chunk.toString().split('\r\n').filter(Boolean)) {
        received.push(line);
        const tag = line.split(' ')[0] ?? '*';
        if (/^\S+ LOGIN /i.test(line)) socket.write(answerLogin(tag, line));
        else if (/^\S+ CAPABILITY/i.test(line)) socket.write(`* CAPABILITY ${capabilities}\r\n${tag} OK done\r\n`);
        else if (/^\S+ LOGOUT/i.test(line)) socket.end(`* BYE bye\r\n${tag} OK done\r\n`);
        else socket.write(`${tag} BAD unexpected\r\n`);
      }
    });
  });
  return { ...upstreamServer, received };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('verifyWithLiveServer against Dovecot', () => {
  test('the right password is ok', async () => {
    const verification = await verifyWithLiveServer(upstream, 'verifier-alice', PASSWORD);
    expect(verification.result).toBe('ok');
  });

  test('a wrong password is rejected and the detail does not repeat it', async () => {
    const wrong = 'Wrong-Guess-77';
    const verification = await verifyWithLiveServer(upstream, 'verifier-alice', wrong);
    expect(verification.result).toBe('rejected');
    expect(verification.detail).toContain('AUTHENTICATIONFAILED');
    expect(verification.detail).not.toContain(wrong);
  });

  test('an unknown user is rejected', async () => {
    const verification = await verifyWithLiveServer(upstream, 'verifier-nobody', PASSWORD);
    expect(verification.result).toBe('rejected');
  });

  test('an empty password is rejected without connecting to the server', async () => {
    let connections = 0;
    const { server, port } = await fakeUpstream((socket) => {
      connections += 1;
      socket.destroy();
    });
    try {
      const verification = await verifyWithLiveServer({ ...upstream, port }, 'verifier-alice', '');
      expect(verification.result).toBe('rejected');
      expect(connections).toBe(0);
    } finally {
      await closeServer(server);
    }
  });

  test('a closed port is unavailable, and the detail carries no password', async () => {
    const port = await freePort();
    const verification = await verifyWithLiveServer({ ...upstream, port }, 'verifier-alice', PASSWORD);
    expect(verification.result).toBe('unavailable');
    expect(verification.detail).toContain('ECONNREFUSED');
    expect(verification.detail).not.toContain(PASSWORD);
  });

  test('implicit TLS against a cleartext server is unavailable (TLS failure)', async () => {
    const verification = await verifyWithLiveServer({ ...upstream, tls: 'implicit' }, 'verifier-alice', PASSWORD);
    expect(verification.result).toBe('unavailable');
    expect(verification.detail).not.toContain(PASSWORD);
  });

  test('required STARTTLS on a server that does not offer it is unavailable', async () => {
    const verification = await verifyWithLiveServer({ ...upstream, tls: 'starttls' }, 'verifier-alice', PASSWORD);
    expect(verification.result).toBe('unavailable');
  });
});

describe('verifyWithLiveServer against broken servers', () => {
  test('a BYE greeting is unavailable', async () => {
    const { server, port } = await fakeUpstream((socket) => socket.end('* BYE Too many connections, go away\r\n'));
    try {
      const verification = await verifyWithLiveServer({ ...upstream, port }, 'verifier-alice', PASSWORD);
      expect(verification.result).toBe('unavailable');
    } finally {
      await closeServer(server);
    }
  });

  test('a server that never greets is unavailable once the timeout passes', async () => {
    const sockets: Socket[] = [];
    const { server, port } = await fakeUpstream((socket) => sockets.push(socket));
    try {
      const verification = await verifyWithLiveServer({ ...upstream, port, timeoutMs: 300 }, 'verifier-alice', PASSWORD);
      expect(verification.result).toBe('unavailable');
    } finally {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    }
  });

  test('NO [UNAVAILABLE] to LOGIN is unavailable, not a wrong password', async () => {
    const { server, port } = await scriptedUpstream('IMAP4rev1', (tag) => `${tag} NO [UNAVAILABLE] Temporary authentication failure\r\n`);
    try {
      const verification = await verifyWithLiveServer({ ...upstream, port }, 'verifier-alice', PASSWORD);
      expect(verification.result).toBe('unavailable');
      expect(verification.detail).toContain('UNAVAILABLE');
    } finally {
      await closeServer(server);
    }
  });

  test('a server that echoes the password back in its refusal does not leak it into the detail', async () => {
    const { server, port } = await scriptedUpstream('IMAP4rev1', (tag, line) => `${tag} NO [AUTHENTICATIONFAILED] You sent: ${line}\r\n`);
    try {
      const verification = await verifyWithLiveServer({ ...upstream, port }, 'verifier-alice', PASSWORD);
      expect(verification.result).toBe('rejected');
      expect(verification.detail).toContain('You sent');
      expect(verification.detail).not.toContain(PASSWORD);
    } finally {
      await closeServer(server);
    }
  });

  test('with STARTTLS required, a server that does not offer it never receives the password', async () => {
    const { server, port, received } = await scriptedUpstream('IMAP4rev1 AUTH=PLAIN', (tag) => `${tag} OK logged in\r\n`);
    try {
      const verification = await verifyWithLiveServer({ ...upstream, port, tls: 'starttls' }, 'verifier-alice', PASSWORD);
      expect(verification.result).toBe('unavailable');
      expect(received.some((line) => /LOGIN|AUTHENTICATE/i.test(line))).toBe(false);
    } finally {
      await closeServer(server);
    }
  });
});

describe('telling the live server where the user connects from', () => {
  test('Dovecot, trusting our address, logs the forwarded client address and port', async () => {
    const result = await verifyWithLiveServer(upstream, 'verifier-alice', PASSWORD, { address: '::ffff:127.0.0.77', port: 40077 });
    expect(result.result).toBe('ok');
    const log = readFileSync(join(testbed.root, 'dovecot.log'), 'utf8');
    expect(log).toMatch(/Login: user=<verifier-alice>.*rip=127\.0\.0\.77,/);
  });

  test('only a well-formed address and port travel, IPv4-mapped addresses unmapped', () => {
    expect(originatingClient({ address: '::ffff:192.0.2.1', port: 5000 })).toEqual({ 'x-originating-ip': '192.0.2.1', 'x-originating-port': '5000' });
    expect(originatingClient({ address: '2001:db8::1' })).toEqual({ 'x-originating-ip': '2001:db8::1' });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6()), fc.oneof(fc.integer(), fc.double(), fc.constant(undefined)), (address, port) => {
        const fields = originatingClient({ address, port });
        for (const value of Object.values(fields)) expect(value).toMatch(/^[0-9a-fA-F:.]+$/);
        if (fields['x-originating-port']) expect(Number(fields['x-originating-port'])).toBe(port);
      }),
    );
  });
});
