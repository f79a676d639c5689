/**
 * Issue 6: pino JSON logs carry a session id on every line of an IMAP session, and no password
 * reaches a log. The logs of a realistic run are captured at `trace` with the production logger
 * (src/log.ts, so the production redaction): a master-mode snapshot run, the IMAP service taking
 * a failed LOGIN, an AUTHENTICATE PLAIN with SASL-IR, a good LOGIN with SELECT/FETCH/LOGOUT, a
 * whole config logged as an object; then `mtm snapshot` and `mtm doctor` with a wrong master
 * password. Every line is grepped for every test secret, plain and base64.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/service.js';
import { dayIn } from '../../src/snapshots/day-label.js';
import { configuredAccounts } from '../../src/upstream/index.js';
import { runSnapshots } from '../../src/snapshots/snapshotter/run.js';
import { openStore, type Store } from '../../src/snapshots/store/store.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, runMtm, tempDir, writeConfig, type MtmRun } from '../fixtures/mtm.js';
import { RawImap } from '../fixtures/raw-imap.js';

const ACCOUNT = 'ops-logsecrets-alice';
const PASSWORD = 'LogSecrets-good-pw-5e1c';
const WRONG_PASSWORD = 'LogSecrets-wrong-pw-9a77';
const WRONG_MASTER_PASSWORD = 'LogSecrets-wrong-master-3b2d';
const ADMIN_TOKEN = 'LogSecrets-admin-token-c0ffee42';
const SMTP_PASSWORD = 'LogSecrets-smtp-pw-71f0';
const REDIS_PASSWORD = 'LogSecrets-redis-pw-44aa';
const SASL_PLAIN = Buffer.from(`\0${ACCOUNT}\0${PASSWORD}`).toString('base64');

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Every secret of this file in every form it travels in. */
function secrets(): string[] {
  const plain = [PASSWORD, WRONG_PASSWORD, WRONG_MASTER_PASSWORD, ADMIN_TOKEN, SMTP_PASSWORD, REDIS_PASSWORD, testbedFromEnv().masterPassword];
  const sasl = [SASL_PLAIN, base64(`${ACCOUNT}\0${ACCOUNT}\0${PASSWORD}`), base64(`${ACCOUNT}\0${testbedFromEnv().masterUser}\0${testbedFromEnv().masterPassword}`)];
  return [...plain, ...plain.map(base64), ...sasl];
}

function leaks(text: string): string[] {
  return text.split('\n').filter((line) => secrets().some((secret) => line.includes(secret)));
}

/** pino output kept in memory, one entry per line. */
class LogCapture extends Writable {
  lines: string[] = [];
  _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.length > 0));
    done();
  }
  parsed(from = 0, to = this.lines.length): Record<string, unknown>[] {
    return this.lines.slice(from, to).map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

let dir: string;
let store: Store;
let config: Config;
const capture = new LogCapture();
const logger = createLogger('trace', capture);

beforeAll(async () => {
  const testbed = testbedFromEnv();
  addUser(testbed, ACCOUNT, PASSWORD);
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', [0, 1, 2].map((i) => generateMessage(i, 83)), () => ['\\Seen'], () => new Date(Date.UTC(2025, 2, 3)));
  await live.logout();
  dir = tempDir('ops-log-secrets');
  store = await openStore({ path: join(dir, 'store') });
  config = validateConfig({
    upstream: { host: testbed.host, port: testbed.port, tls: 'none', timeoutSeconds: 5 },
    snapshot: { accounts: [ACCOUNT], auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: testbed.masterPassword }, schedule: '0 0 1 1 *' },
    store: { path: join(dir, 'store') },
    server: { host: '127.0.0.1', port: 0, allowPlaintextAuth: true },
    http: { host: '127.0.0.1', port: 0 },
    auth: { failureDelayMs: 0 },
    recovery: { adminToken: ADMIN_TOKEN, smtp: { host: '127.0.0.1', user: 'mtm', password: SMTP_PASSWORD } },
    log: { level: 'trace' },
  });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('logs of the server process', () => {
  let service: RunningService;
  /** Index range of the lines logged while the IMAP clients were connected. */
  let sessionLines: { from: number; to: number };
  const day = () => dayIn(config.snapshot.timezone);

  beforeAll(async () => {
    const outcomes = await runSnapshots({ config, store, accounts: configuredAccounts(config.snapshot), day: day(), logger });
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true]);

    // A whole config object logged, as a start-up dump would: the secrets in it must be masked.
    logger.info({ config: { ...config, redis: { url: `redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0` } } }, 'config dump');
    logger.info({ snapshot: config.snapshot, recovery: config.recovery }, 'config sections');

    service = await startService(config, store, logger, { scheduler: false });
    const { port } = service.imap;
    const from = capture.lines.length;

    const refused = await RawImap.connect('127.0.0.1', port);
    const refusedReply = (await refused.command(`LOGIN "${ACCOUNT}" "${WRONG_PASSWORD}"`)).toString();
    expect(refusedReply).toMatch(/^A1 NO \[AUTHENTICATIONFAILED\]/m);
    await refused.close();

    const sasl = await RawImap.connect('127.0.0.1', port);
    expect((await sasl.command(`AUTHENTICATE PLAIN ${SASL_PLAIN}`)).toString()).toMatch(/^A1 OK /m);
    await sasl.close();

    const client = await RawImap.connect('127.0.0.1', port);
    await client.login(ACCOUNT, PASSWORD);
    expect((await client.command(`SELECT "Snapshots/${day()}/INBOX"`)).toString()).toMatch(/^\* 3 EXISTS/m);
    const fetched = (await client.command('FETCH 1:* (FLAGS BODY.PEEK[])')).toString();
    expect(fetched).toMatch(/^A\d+ OK /m);
    await client.close();

    // "connection closed" is logged before the server forgets the session.
    while (service.imap.connectionCount() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    sessionLines = { from, to: capture.lines.length };
  });

  afterAll(async () => {
    await service?.stop();
  });

  test('every line is JSON', () => {
    expect(capture.lines.length).toBeGreaterThan(10);
    expect(() => capture.parsed()).not.toThrow();
  });

  test('no line holds a password, a token or a SASL response, plain or base64', () => {
    expect(leaks(capture.lines.join('\n'))).toEqual([]);
    // The config dump was logged, masked, rather than dropped.
    const dump = capture.parsed().find((line) => line.msg === 'config dump') as { config: Config } | undefined;
    expect(dump?.config.snapshot.auth.masterPassword).toBe('[redacted]');
    expect(dump?.config.recovery.adminToken).toBe('[redacted]');
    expect(dump?.config.recovery.smtp?.password).toBe('[redacted]');
    expect(dump?.config.snapshot.auth.masterUser).toBe(testbedFromEnv().masterUser);
  });

  test('login results are logged at info with account, mechanism and result', () => {
    const logins = capture.parsed(sessionLines.from, sessionLines.to).filter((line) => String(line.msg).startsWith('login '));
    const summary = logins.map((line) => ({ level: line.level, account: line.account, mechanism: line.mechanism, result: line.result }));
    expect(summary).toEqual([
      { level: 30, account: ACCOUNT, mechanism: 'LOGIN', result: 'AUTHENTICATIONFAILED' },
      { level: 30, account: ACCOUNT, mechanism: 'PLAIN', result: 'ok' },
      { level: 30, account: ACCOUNT, mechanism: 'LOGIN', result: 'ok' },
    ]);
  });

  test('every line logged during the IMAP sessions names its session, one id per connection', () => {
    const lines = capture.parsed(sessionLines.from, sessionLines.to);
    expect(lines.filter((line) => typeof line.session !== 'string' || line.session === '')).toEqual([]);
    expect(lines.filter((line) => line.remote !== '127.0.0.1')).toEqual([]);
    const ids = [...new Set(lines.map((line) => line.session))];
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      const messages = lines.filter((line) => line.session === id).map((line) => line.msg);
      expect(messages[0]).toBe('connection opened');
      expect(messages[messages.length - 1]).toBe('connection closed');
    }
    // Lines of the login layer, which is handed the server-wide logger, carry it too.
    const liveRefusal = lines.find((line) => String(line.msg).startsWith('Login refused: live server rejected'));
    expect(liveRefusal?.session).toBe(ids[0]);
    // The FETCH of the third connection is there, with the account bound after login.
    const fetchLine = lines.find((line) => line.msg === 'command' && line.command === 'FETCH');
    expect(fetchLine).toMatchObject({ session: ids[2], account: ACCOUNT, status: 'OK' });
  });
});

describe('logs of the mtm command line (stderr) with a wrong master password', () => {
  let runs: Record<'snapshot' | 'doctor', MtmRun>;
  let cliDir: string;

  beforeAll(async () => {
    const testbed = testbedFromEnv();
    cliDir = tempDir('ops-log-secrets-cli');
    const file = writeConfig(cliDir, [ACCOUNT], {
      snapshot: { auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: WRONG_MASTER_PASSWORD } },
      store: { path: join(cliDir, 'store') },
      recovery: { adminToken: ADMIN_TOKEN, smtp: { host: '127.0.0.1', user: 'mtm', password: SMTP_PASSWORD } },
      log: { level: 'trace' },
    });
    runs = { snapshot: await runMtm(['snapshot', '-c', file]), doctor: await runMtm(['doctor', '-c', file]) };
  });
  afterAll(() => rmSync(cliDir, { recursive: true, force: true }));

  test('both commands fail on the master login and say so', () => {
    expect(runs.snapshot.code).not.toBe(0);
    expect(runs.doctor.code).not.toBe(0);
    expect(runs.doctor.stdout).toMatch(/master-user impersonation/);
    // The snapshot command logged its failure at trace level: the log exists to be grepped.
    const failures = runs.snapshot.stderr.split('\n').filter((line) => line.includes('"snapshot failed"'));
    expect(failures).toHaveLength(1);
    expect(JSON.parse(failures[0])).toMatchObject({ level: 50, account: ACCOUNT });
  });

  test('their logs are JSON lines holding no secret', () => {
    for (const run of Object.values(runs)) {
      const logLines = run.stderr.split('\n').filter((line) => line.startsWith('{'));
      expect(() => logLines.map((line) => JSON.parse(line) as unknown)).not.toThrow();
      expect(leaks(run.stderr)).toEqual([]);
      expect(leaks(run.stdout)).toEqual([]);
    }
  });
});
