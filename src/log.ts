/** pino logger with secrets redacted wherever they might appear in a logged object. */
import { pino, type Logger, type LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'password', 'pass', 'masterPassword', '*.password', '*.pass', '*.masterPassword', '*.*.password', '*.*.pass', '*.*.masterPassword',
  'auth.pass', 'credentials.password', 'credentials.masterPassword', 'authorization', 'headers.authorization', 'req.headers.authorization',
];

export function createLogger(level: LoggerOptions['level'] = 'info', destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } }, destination as pino.DestinationStream);
}

export const silentLogger: Logger = pino({ level: 'silent' });
