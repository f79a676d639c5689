/** pino logger with secrets redacted wherever they might appear in a logged object. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Every key our code and config use for a secret, at the depths they are logged: a bare field, a
 * field of a logged object (`{ options: { pass } }`), and the config sections (`snapshot.auth`,
 * `recovery.smtp`, `recovery.adminToken`, `redis.url`), alone or as a whole `config`. pino's
 * wildcards match one level, so each depth is spelled out.
 */
export const REDACTED_PATHS = [
  'password', 'pass', 'masterPassword', 'adminToken',
  '*.password', '*.pass', '*.masterPassword', '*.adminToken',
  '*.*.password', '*.*.pass', '*.*.masterPassword', '*.*.adminToken',
  '*.*.*.password', '*.*.*.masterPassword',
  'auth.pass', 'credentials.password', 'credentials.masterPassword',
  'authorization', 'headers.authorization', 'req.headers.authorization', '*.headers.authorization',
  'cookie', 'headers.cookie', 'req.headers.cookie',
  'snapshot.auth.masterPassword', 'config.snapshot.auth.masterPassword',
  'recovery.smtp.password', 'config.recovery.smtp.password',
  'recovery.adminToken', 'config.recovery.adminToken',
  // A PostgreSQL URL may carry a password (postgres://mtm:secret@db/mtm); the store never logs it.
  'store.postgres.url', 'config.store.postgres.url', 'postgres.url',
  // A Redis URL may carry a password (redis://:secret@host); src/coordination logs it masked.
  'redis.url', 'config.redis.url', 'redisUrl', '*.redisUrl',
  // store.s3 (S3BlobStore settings, config.store.s3).
  'secretAccessKey', '*.secretAccessKey', '*.*.secretAccessKey', '*.*.*.secretAccessKey',
];

/**
 * Fields bound to whatever is logged while a unit of work runs — an IMAP session binds its id and
 * client address, so the lines of the layers it calls (login checks, snapshot views, restores),
 * which are handed the server-wide logger, still name the session they belong to.
 */
export const logContext = new AsyncLocalStorage<Record<string, unknown>>();

/** The logger's own bindings win: a session's child logger already carries `session`. */
function contextFields(_merge: object, _level: number, logger: Logger): object {
  const fields = logContext.getStore();
  if (!fields) return {};
  const bound = (logger as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym] ?? '';
  const missing: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (!bound.includes(`"${key}":`)) missing[key] = value;
  return missing;
}

export function createLogger(level: LoggerOptions['level'] = 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid }, mixin: contextFields },
    destination as pino.DestinationStream,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
