/** Entry point of `npm run demo`: set up the demo, serve it, explain how to look at it. */
import { createLogger } from '../log.js';
import { DEMO_PASSWORD, DEMO_USER, setupDemo } from '../demo/setup.js';
import { startService } from '../service.js';

const logger = createLogger('warn');
try {
  process.stderr.write('Setting up the demo (private Dovecot, account demo/demo, three snapshot days)…\n');
  const demo = await setupDemo({ logger });
  const service = await startService(demo.config, demo.store, logger, { scheduler: false });
  const port = service.imap.port;
  const day = demo.days[demo.days.length - 1];
  process.stdout.write(`
Mail Time Machine demo is running.

  IMAP server:   127.0.0.1:${port} (no TLS; plaintext login allowed on loopback for the demo)
  Login:         ${DEMO_USER} / ${DEMO_PASSWORD}        (or ${DEMO_USER}#${demo.days[0]} for one day only)
  Snapshot days: ${demo.days.join(', ')}
  Live server:   Dovecot on 127.0.0.1:${demo.testbed.port} (same login)
  HTTP:          http://127.0.0.1:${service.http.port}/healthz, /metrics, /api/v1/accounts/${DEMO_USER}/days (Basic ${DEMO_USER}:${DEMO_PASSWORD})
  Config:        ${demo.configFile}

Try:
  curl -s "imap://127.0.0.1:${port}/" --user ${DEMO_USER}:${DEMO_PASSWORD} -X 'LIST "" "*"'
  curl -s "imap://127.0.0.1:${port}/Snapshots%2F${day}%2FINBOX;UID=4" --user ${DEMO_USER}:${DEMO_PASSWORD}
  curl -s -u ${DEMO_USER}:${DEMO_PASSWORD} http://127.0.0.1:${service.http.port}/api/v1/accounts/${DEMO_USER}/days

Press Ctrl-C to stop.
`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await service.stop();
  await demo.store.close();
  demo.stop();
} catch (error) {
  process.stderr.write(`demo: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
