/** pino logger with secrets redacted wherever they might appear in a logged object. */
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

export function createLogger(level: LoggerOptions['level'] = 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    destination as pino.DestinationStream,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
