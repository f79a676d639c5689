import net from 'node:net';
import { Readable } from 'node:stream';
import { analyzeMessage } from '../../src/mail/analyze.js';
import type { LoginService, MessageRef, OpenMailbox } from '../../src/proxy/ports.js';
import { startTestServer } from './commands/fakes.js';

const MESSAGES = 100;
const BODY_SIZE = 512 * 1024;

describe('response back-pressure', () => {
  test('FETCH 1:* BODY.PEEK[] opens message streams only as fast as the client reads', async () => {
    const raw = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(BODY_SIZE - 16, 'a')]);
    const structure = await analyzeMessage(raw);
    let opened = 0;
    const messages: MessageRef[] = Array.from({ length: MESSAGES }, (_, i) => ({
      uid: i + 1, flags: [], internalDate: new Date(0), size: raw.length, blobHash: 'big',
    }));
    const mailbox: OpenMailbox = {
      name: 'Big', uidValidity: 1, uidNext: MESSAGES + 1, highestModseq: 1, flags: ['\\Seen'], messages,
      structure: async () => structure,
      readHeader: async () => raw.subarray(0, structure.headerLength),
      readHeaders: async (list) => list.map(() => raw.subarray(0, structure.headerLength)),
      read: (_message, start = 0, end = raw.length) => {
        opened++;
        return Readable.from((function* () {
          for (let at = start; at < end; at += 65536) yield raw.subarray(at, Math.min(end, at + 65536));
        })());
      },
      readAll: async () => raw,
    };
    const loginService: LoginService = {
      login: async () => ({
        ok: true, account: 'big',
        view: { account: 'big', listMailboxes: async () => [{ name: 'Big', selectable: true, hasChildren: false }], openMailbox: async () => mailbox },
      }),
    };
    const { server, port } = await startTestServer({ loginService });
    const socket = net.connect({ host: '127.0.0.1', port });
    try {
      let received = 0;
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        text = (text + chunk.toString('latin1')).slice(-200);
      });
      const waitForText = async (needle: string) => {
        while (!text.includes(needle)) await new Promise((resolve) => setTimeout(resolve, 10));
      };
      await waitForText('* OK');
      socket.write('a LOGIN big pw\r\nb SELECT Big\r\n');
      await waitForText('b OK');
      socket.write('c FETCH 1:* BODY.PEEK[]\r\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.pause();
      // Let the server fill every buffer it can, until it stops opening messages.
      let stable = 0;
      let last = -1;
      while (stable < 10) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        stable = opened === last ? stable + 1 : 0;
        last = opened;
      }
      expect(opened).toBeLessThan(MESSAGES / 2);
      socket.resume();
      await waitForText('c OK FETCH completed');
      expect(opened).toBe(MESSAGES);
      expect(received).toBeGreaterThan(MESSAGES * raw.length);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
