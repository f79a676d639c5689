/**
 * One way to reach PostgreSQL for the store: a pool, the schema brought up to date at open (the SQL
 * files in ./migrations, run by node-pg-migrate), and failures told as one sentence naming the
 * server and the cause, never the URL's password.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { StorageError, type StorageErrorKind } from '../storage-error.js';

/**
 * int8 columns (sizes, dates in ms, UIDs, sequence numbers) as numbers: every value the store
 * keeps is far below 2^53, and the catalog's callers compare them as numbers.
 */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Where a PostgreSQL URL points, for messages and logs: `host:port`, without user, password or database. */
export function describePostgresTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}:${parsed.port || '5432'}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** The database in words for messages and logs: `PostgreSQL user@host:port/database`, never the password. */
export function describePostgresStore(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    return `PostgreSQL ${user}${describePostgresTarget(url)}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'PostgreSQL (unparsable URL)';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOENT']);

/** A StorageError whose sentence names the server first: "PostgreSQL at db:5432 is unreachable: ECONNREFUSED". */
function failure(kind: StorageErrorKind, url: string, detail: string, sentence: string, cause: unknown): StorageError {
  const error = new StorageError(kind, describePostgresStore(url), detail, { cause });
  error.message = `PostgreSQL at ${describePostgresTarget(url)} ${sentence}`;
  return error;
}

/**
 * A failure of the server or the way to it as a StorageError naming both; null for anything else
 * (a bug of ours: a constraint, a syntax error), which keeps its own message.
 */
export function describePostgresFailure(url: string, error: unknown): StorageError | null {
  if (error instanceof StorageError) return error;
  const { code = '', message = '' } = (error ?? {}) as { code?: string; message?: string };
  if (NETWORK_CODES.has(code)) return failure('unavailable', url, code, `is unreachable: ${code}`, error);
  // pg reports its own timeouts and a socket closed under it without a code.
  if (/timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i.test(message)) {
    return failure('unavailable', url, message, `is unreachable: ${message}`, error);
  }
  // Connection exceptions (08xxx), shutting down or starting up (57P01-57P03), too many connections (53300).
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) {
    return failure('unavailable', url, `${code}: ${message}`, `is unreachable: ${message} (${code})`, error);
  }
  // Authentication (28xxx), a missing database (3D000), missing rights (42501): the server's words
  // name the user or database, never a password.
  if (code.startsWith('28') || code === '3D000' || code === '42501') {
    return failure('unavailable', url, `${code}: ${message}`, `refused the store: ${message} (${code})`, error);
  }
  if (code === '53100') return failure('full', url, `${code}: ${message}`, `is full: ${message} (${code})`, error);
  if (code === '25006') return failure('read-only', url, `${code}: ${message}`, `is read-only: ${message} (${code})`, error);
  if (code === 'XX001' || code === 'XX002') return failure('damaged', url, `${code}: ${message}`, `reports damaged data: ${message} (${code})`, error);
  return null;
}

export function openPool(url: string, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // A peer that vanished (power loss) is noticed instead of holding a connection forever.
    keepAlive: true,
    application_name: 'mtm',
  });
  // An idle connection the server closes (restart, failover) is dropped and replaced on next use;
  // without a listener it would take the process down.
  pool.on('error', () => {});
  return pool;
}

/** Swallows a checked-out connection's 'error' event: its pending query rejects with the cause anyway. */
function ignoreSocketError(): void {}

/**
 * A connection from the pool for several statements. pg emits 'error' on a connection whose socket
 * dies, and the pool listens only while the connection is idle: without a listener of ours while
 * it is checked out, PostgreSQL going away mid-transaction would crash the process instead of
 * failing the statement. `release` gives it back (an error discards it).
 */
export async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  client.on('error', ignoreSocketError);
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => {
    client.removeListener('error', ignoreSocketError);
    release(error);
  };
  return client;
}

/** The connection broke under the statement: a pooled connection that died while idle (a server restart, a failover). */
function connectionLost(error: unknown): boolean {
  const { code = '', message = '' } = (error ?? {}) as { code?: string; message?: string };
  return code === 'ECONNRESET' || code === 'EPIPE' || code === '57P01' || /Connection terminated|connection error/i.test(message);
}

/**
 * One statement; a read (or an idempotent write) is tried once more on a fresh connection when the
 * one the pool handed out had died while idle, so a server restart costs no failed request.
 */
export async function queryOnce<Row extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[], options: { idempotent: boolean }): Promise<Row[]> {
  try {
    return (await pool.query<Row>(sql, params)).rows;
  } catch (error) {
    if (!options.idempotent || !connectionLost(error)) throw error;
    return (await pool.query<Row>(sql, params)).rows;
  }
}

/**
 * Runs `work` in one transaction on one pooled connection (errors as thrown: callers describe them).
 * A connection that fails even to roll back is discarded, not returned to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  let client = await checkOut(pool);
  try {
    await client.query('BEGIN');
  } catch (error) {
    client.release(error as Error);
    // Nothing was done yet: a connection that had died while idle is replaced once.
    if (!connectionLost(error)) throw error;
    client = await checkOut(pool);
    try {
      await client.query('BEGIN');
    } catch (again) {
      client.release(again as Error);
      throw again;
    }
  }
  let broken: Error | undefined;
  try {
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** A single connection outside the pool, for what must outlive one query (session advisory locks). */
export function openClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types, keepAlive: true, connectionTimeoutMillis: 10_000, application_name: 'mtm' });
}

/** The migration files: beside this module in src (tests) and in dist (the build copies them). */
export const MIGRATIONS_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Session lock key (pg_advisory_lock(int, int)) so instances starting together migrate one after another. */
const MIGRATION_LOCK: [number, number] = [0x6d746d00, 1];

/**
 * Brings the schema up to date (idempotent). Several instances may start at once: they queue on a
 * lock instead of failing like node-pg-migrate's own try-lock would.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await checkOut(pool);
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', MIGRATION_LOCK);
    try {
      await runner({
        dbClient: client,
        dir: MIGRATIONS_DIRECTORY,
        direction: 'up',
        migrationsTable: 'mtm_migrations',
        noLock: true,
        checkOrder: true,
        singleTransaction: true,
        log: () => {},
      });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', MIGRATION_LOCK);
    }
  } finally {
    client.release();
  }
}
