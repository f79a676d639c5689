#!/usr/bin/env node
/**
 * By hand, not in CI: how much one IMAP command costs the server, with and without an
 * AsyncLocalStorage in use in the process (its promise hooks tax every promise, not only the
 * ones of log lines). Runs the built server (npm run build first) in this process on a free port,
 * sends NOOPs over one connection in batches of --batch (1: one at a time), and prints the
 * process CPU time per command (server and client together: less swayed by other load on the
 * machine than wall-clock time) and commands per second, the median of the rounds.
 *
 *   node scripts/measure-noop-overhead.mjs [--als] [--rounds 7] [--commands 20000] [--batch 100]
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import net from 'node:net';
import { createImapServer } from '../dist/proxy/server.js';
import { silentLogger } from '../dist/log.js';

const argument = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const rounds = argument('--rounds', 7);
const batch = argument('--batch', 100);
const commands = argument('--commands', 20000);
if (process.argv.includes('--als')) {
  // What src/log.ts did per session: from the first run() on, every promise pays the hooks.
  const storage = new AsyncLocalStorage();
  storage.enterWith({ session: 'bench' });
}

const server = createImapServer({
  host: '127.0.0.1',
  port: 0,
  logger: silentLogger,
  loginService: { login: async () => ({ ok: false, code: 'AUTHENTICATIONFAILED', text: 'not here' }) },
});
const { port } = await server.listen();

async function noops(count) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let buffered = '';
  let waiting = null;
  socket.on('data', (chunk) => {
    buffered += chunk;
    if (waiting && waiting.test()) waiting.resolve();
  });
  const until = (test) => new Promise((resolve) => {
    waiting = { test, resolve };
    if (test()) resolve();
  });
  await until(() => buffered.includes('\r\n'));
  buffered = '';
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let index = 0; index < count; index += batch) {
    let text = '';
    for (let offset = 0; offset < batch; offset++) text += `a${index + offset} NOOP\r\n`;
    socket.write(text);
    const last = `a${index + batch - 1} OK`;
    await until(() => buffered.includes(last));
    buffered = '';
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  socket.end('z LOGOUT\r\n');
  return { perSecond: count / seconds, cpuMicros: (used.user + used.system) / count };
}

await noops(2000); // warm-up: JIT
const results = [];
for (let round = 0; round < rounds; round++) results.push(await noops(commands));
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpu = results.map((result) => result.cpuMicros);
console.log(
  `${process.argv.includes('--als') ? 'with ALS   ' : 'without ALS'} batch ${batch}: CPU µs per NOOP median ${median([...cpu]).toFixed(1)} ` +
    `(rounds ${cpu.map((value) => value.toFixed(1)).join(', ')}); NOOP/s median ${median(results.map((result) => result.perSecond)).toFixed(0)}`,
);
await server.close();
