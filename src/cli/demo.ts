/** Entry point of `npm run demo`: set up the demo, serve it, explain how to look at it. */
import { createLogger } from '../log.js';
import { DEMO_PASSWORD, DEMO_USER, setupDemo } from '../demo/setup.js';
import { startService } from '../service.js';

const logger = createLogger('warn');

/** A port from the environment (MTM_DEMO_IMAP_PORT, MTM_DEMO_HTTP_PORT), else the default. */
function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name}=${text} is not a port number (1-65535)`);
  return port;
}

/** What went wrong, and what to do about it, for the failures a first run meets. */
function explain(error: Error & { code?: string; port?: number; address?: string }): string {
  if (error.code === 'EADDRINUSE') {
    return `${error.address ?? '127.0.0.1'}:${error.port ?? '?'} is already in use (an earlier demo still running?). Stop that program, or choose other ports: MTM_DEMO_IMAP_PORT=2143 MTM_DEMO_HTTP_PORT=8026 npm run demo`;
  }
  if (error.code === 'EACCES' && error.port !== undefined) {
    return `not allowed to listen on port ${error.port}; choose another one with MTM_DEMO_IMAP_PORT / MTM_DEMO_HTTP_PORT`;
  }
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return `${error.message}. The demo writes its snapshots to .demo/ in the current directory: run it where you may write`;
  }
  return error.message;
}

try {
  process.stderr.write('Setting up the demo (private Dovecot, account demo/demo, three snapshot days)…\n');
  const imapPort = portFromEnv('MTM_DEMO_IMAP_PORT', 1143);
  const httpPort = portFromEnv('MTM_DEMO_HTTP_PORT', 8025);
  const demo = await setupDemo({ logger, imapPort, httpPort });
  let service;
  try {
    service = await startService(demo.config, demo.store, logger, { scheduler: false });
  } catch (error) {
    await demo.store.close();
    demo.stop();
    throw error;
  }
  const port = service.imap.port;
  const day = demo.days[demo.days.length - 1];
  process.stdout.write(`
Mail Time Machine demo is running.

  IMAP server:   127.0.0.1:${port} (no TLS; plaintext login allowed on loopback for the demo)
  Login:         ${DEMO_USER} / ${DEMO_PASSWORD}   (every day under Snapshots/<day>/)
  One day only:  ${DEMO_USER}#${day} / ${DEMO_PASSWORD}   (that day's folders at the top level; any day below works)
  Snapshot days: ${demo.days.join(', ')}
  Live server:   Dovecot on 127.0.0.1:${demo.testbed.port}, same login (files in ${demo.testbed.root})
  Web interface: http://127.0.0.1:${service.http.port}/   (sign in with ${DEMO_USER} / ${DEMO_PASSWORD})
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
  process.stderr.write(`demo: ${explain(error as Error)}\n`);
  process.exitCode = 1;
}
