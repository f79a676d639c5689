/**
 * `store.postgres.url` (DESIGN §4): empty means the embedded SQLite catalog; `MTM_STORE_POSTGRES_URL`
 * sets it verbatim; a value that is no PostgreSQL URL is refused naming the key, never echoing it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { describePostgresFailure, describePostgresStore, describePostgresTarget } from '../../src/snapshots/store/postgres/connection.js';
import { createLogger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'mtm-config-postgres-'));
const empty = join(dir, 'empty.yaml');
writeFileSync(empty, '');

function loadError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(empty, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('the config was accepted');
}

/** Passwords as people pick them, URL-encoded as a URL needs them. */
const password = fc.string({ minLength: 6, maxLength: 24, unit: 'grapheme' }).filter((p) => p.trim().length >= 6);

test('unset or empty means the embedded catalog', () => {
  expect(loadConfig(empty, {}).store.postgres.url).toBe('');
  expect(loadConfig(empty, { MTM_STORE_POSTGRES_URL: '' }).store.postgres.url).toBe('');
});

test('MTM_STORE_POSTGRES_URL sets the URL exactly as written, whatever the password holds', () => {
  fc.assert(
    fc.property(password, (secret) => {
      const url = `postgres://mtm:${encodeURIComponent(secret).replace(/%23/g, '#')}@db.example:6432/mtm`;
      fc.pre(URL.canParse(url) && new URL(url).protocol === 'postgres:');
      expect(loadConfig(empty, { MTM_STORE_POSTGRES_URL: url }).store.postgres.url).toBe(url);
    }),
  );
  // What YAML would turn into a mapping or cut at a comment.
  for (const url of ['postgres://mtm@db.example/mtm?application_name=mtm: nightly', 'postgres://mtm:pw@db.example/mtm?application_name=a #b', 'postgres://mtm:[pw]@db/mtm']) {
    expect(loadConfig(empty, { MTM_STORE_POSTGRES_URL: url }).store.postgres.url).toBe(url);
  }
  writeFileSync(join(dir, 'file.yaml'), 'store:\n  postgres:\n    url: postgresql://mtm@127.0.0.1/mtm\n');
  expect(loadConfig(join(dir, 'file.yaml'), {}).store.postgres.url).toBe('postgresql://mtm@127.0.0.1/mtm');
});

test('a value that is not a PostgreSQL URL is refused naming the key, without echoing it', () => {
  fc.assert(
    fc.property(password, fc.constantFrom('mysql://root:%s@db/mtm', 'postgres//mtm:%s@db', '%s', 'http://mtm:%s@db:5432/mtm'), (secret, shape) => {
      const value = shape.replace('%s', encodeURIComponent(secret));
      const error = loadError({ MTM_STORE_POSTGRES_URL: value });
      expect(error.message).toMatch(/store\.postgres\.url: must be empty \(embedded SQLite\) or a URL like postgres:\/\/user@host:5432\/database/);
      expect(error.message).not.toContain(encodeURIComponent(secret));
    }),
  );
});

test('the URL is logged and reported without its password', () => {
  fc.assert(
    fc.property(password, (secret) => {
      const encoded = encodeURIComponent(secret);
      const url = `postgres://mtm:${encoded}@db.example:6432/mtm?password=${encoded}`;
      expect(describePostgresStore(url)).toBe('PostgreSQL mtm@db.example:6432/mtm');
      expect(describePostgresTarget(url)).toBe('db.example:6432');
      const failure = describePostgresFailure(url, Object.assign(new Error(`connect ECONNREFUSED`), { code: 'ECONNREFUSED' }));
      expect(failure?.message).toBe('PostgreSQL at db.example:6432 is unreachable: ECONNREFUSED');
      const lines: string[] = [];
      const logger = createLogger('info', { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
      logger.info({ config: { store: { postgres: { url } } }, store: { postgres: { url } } }, 'starting');
      logger.flush();
      expect(lines.join('')).toContain('"url":"[redacted]"');
      expect(lines.join('')).not.toContain(encoded);
    }),
    { numRuns: 30 },
  );
});
