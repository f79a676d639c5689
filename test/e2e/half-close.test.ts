/**
 * Issue 10 item 6: a client that pipelines its commands and then shuts its sending side
 * (`shutdown(SHUT_WR)`, `socket.end()`) still gets every answer, as Dovecot gives it.
 */
import { connect } from 'node:net';
import { testbedFromEnv } from '../../src/testbed/dovecot.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'e2e-half-close';
const PASSWORD = 'half-close-pw-1';

let server: SnapshotServer;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [
      {
        user: ACCOUNT,
        password: PASSWORD,
        seed: async (live) => {
          await live.append('INBOX', Buffer.from('From: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n'));
        },
      },
    ],
  });
}, 120000);

afterAll(async () => {
  await server?.stop();
});

/** Sends `input` in one write, half-closes, and collects every line until the server closes. */
async function halfClosedExchange(port: number, input: string): Promise<string[]> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.end(input);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server kept the connection open; got ${JSON.stringify(received)}`)), 30000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return received.split('\r\n').filter((line) => line !== '');
}

/** The tagged completions, as `<tag> <status>`. */
function completions(lines: string[]): string[] {
  return lines.filter((line) => /^h\d /.test(line)).map((line) => line.split(' ').slice(0, 2).join(' '));
}

test('five pipelined commands followed by a half-close get five answers, as from Dovecot', async () => {
  // A login checked against the live server takes real time: the end of input arrives meanwhile.
  const input = `h1 NOOP\r\nh2 LOGIN ${ACCOUNT} ${PASSWORD}\r\nh3 LIST "" "%"\r\nh4 LIST "" "*"\r\nh5 NOOP\r\n`;
  const dovecot = completions(await halfClosedExchange(testbedFromEnv().port, input));
  expect(dovecot).toEqual(['h1 OK', 'h2 OK', 'h3 OK', 'h4 OK', 'h5 OK']);
  expect(completions(await halfClosedExchange(server.port, input))).toEqual(dovecot);
});
