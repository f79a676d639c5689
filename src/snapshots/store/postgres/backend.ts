/**
 * The PostgreSQL catalog backend (`store.postgres.url`): the catalog and the restore jobs in one
 * database, on one connection pool, its schema brought up to date when it opens. The only code
 * that knows the store is in PostgreSQL.
 */
import type pg from 'pg';
import { restoresUnavailableText } from '../../../recovery/jobs.js';
import type { CatalogBackend, CatalogBackendFactory } from '../backend.js';
import type { IntegrityReport, StoreAccess, StoreObserver, StoreProbe, StoreSettings } from '../store.js';
import { PostgresCatalog } from './catalog.js';
import { checkOut, describePostgresFailure, describePostgresStore, describePostgresTarget, migrate, MIGRATIONS_DIRECTORY, openPool } from './connection.js';
import { PostgresJobStore } from './jobs.js';
import { readdirSync } from 'node:fs';

function urlOf(settings: StoreSettings): string {
  const url = settings.postgres?.url;
  if (!url) throw new Error('store.postgres.url is not set');
  return url;
}

const FIXES: Record<string, string> = {
  unavailable: 'check that PostgreSQL runs and store.postgres.url names its host, port, user and database (the user needs CONNECT and CREATE on it)',
  'read-only': 'point store.postgres.url at the primary, not a read-only standby',
  full: 'free space on the PostgreSQL server (or prune older snapshots)',
  damaged: "restore the database from a backup; see PostgreSQL's log",
};

/**
 * Connects, then writes, reads and deletes a row of a temporary table (nothing of the store is
 * touched), so a read-only standby or a user without rights fails here rather than at the first
 * snapshot. Never throws.
 */
async function probeWith(url: string, connect: () => Promise<pg.PoolClient | pg.Client>, release: (client: pg.PoolClient | pg.Client, error?: Error) => Promise<void>): Promise<StoreProbe> {
  const started = Date.now();
  let client: pg.PoolClient | pg.Client | null = null;
  try {
    client = await connect();
    await client.query('BEGIN');
    await client.query('CREATE TEMPORARY TABLE mtm_probe (value text) ON COMMIT DROP');
    await client.query('INSERT INTO mtm_probe (value) VALUES ($1)', ['probe']);
    const { rows } = await client.query<{ value: string }>('DELETE FROM mtm_probe RETURNING value');
    await client.query('COMMIT');
    if (rows[0]?.value !== 'probe') throw new Error('the probe row did not read back');
    await release(client);
    return { part: 'postgres', ok: true, detail: `PostgreSQL at ${describePostgresTarget(url)} answers and takes writes (${Date.now() - started} ms)` };
  } catch (error) {
    if (client) await release(client, error as Error).catch(() => {});
    const failure = describePostgresFailure(url, error);
    return {
      part: 'postgres',
      ok: false,
      detail: failure?.message ?? `PostgreSQL at ${describePostgresTarget(url)} failed the write probe: ${(error as Error).message}`,
      fix: FIXES[failure?.kind ?? 'unavailable'] ?? FIXES.unavailable,
    };
  }
}

async function probeOnce(url: string): Promise<StoreProbe[]> {
  const pool = openPool(url, { max: 1 });
  try {
    return [await probeWith(url, () => checkOut(pool), async (client, error) => (client as pg.PoolClient).release(error ?? true))];
  } finally {
    await pool.end().catch(() => {});
  }
}

/** Schema migrations applied against those this build ships, and whether the server checksums its pages. */
async function checkIntegrityOn(url: string, pool: pg.Pool): Promise<IntegrityReport> {
  const shipped = readdirSync(MIGRATIONS_DIRECTORY).filter((file) => file.endsWith('.sql')).map((file) => file.replace(/\.sql$/, '')).sort();
  try {
    const applied = new Set((await pool.query<{ name: string }>('SELECT name FROM mtm_migrations').catch(() => ({ rows: [] as { name: string }[] }))).rows.map(({ name }) => name));
    const missing = shipped.filter((name) => !applied.has(name));
    const { rows: [{ data_checksums: checksums }] } = await pool.query<{ data_checksums: string }>('SHOW data_checksums');
    const pages = checksums === 'on' ? 'PostgreSQL checksums its pages' : 'data checksums are off (PostgreSQL cannot detect damaged pages)';
    if (applied.size === 0) return { ok: true, text: `no catalog yet in ${describePostgresStore(url)} (created at the first start); ${pages}` };
    if (missing.length > 0) return { ok: false, text: `${describePostgresStore(url)} lacks schema migrations ${missing.join(', ')}`, repair: 'start mtm once with write access (mtm snapshot or mtm serve): it applies them' };
    return { ok: true, text: `${describePostgresStore(url)} has the current schema (${shipped.length} migrations); ${pages}` };
  } catch (error) {
    const failure = describePostgresFailure(url, error);
    return { ok: false, text: `cannot check ${describePostgresStore(url)}: ${failure?.message ?? (error as Error).message}`, repair: FIXES[failure?.kind ?? 'unavailable'] };
  }
}

/**
 * The object with every method call timed for /metrics (StoreObserver.backendCall): one sample per
 * catalog or job-store operation, as it waited on PostgreSQL.
 */
function timed<T extends object>(target: T, report: StoreObserver['backendCall']): T {
  if (!report) return target;
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string' || key === 'close') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        const done = (ok: boolean) => report({ backend: 'postgres', operation: key, seconds: (performance.now() - started) / 1000, ok });
        const result = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (result instanceof Promise) return result.then((answer) => (done(true), answer), (error: unknown) => (done(false), Promise.reject(error)));
        return result;
      };
    },
  });
}

async function open(settings: StoreSettings, access: StoreAccess, observer: StoreObserver): Promise<CatalogBackend> {
  const url = urlOf(settings);
  const pool = openPool(url);
  let refused: string | null = null;
  try {
    await migrate(pool);
  } catch (error) {
    const failure = describePostgresFailure(url, error);
    // A read-only server (a standby) still serves what it holds; only writing needs the primary.
    if (!failure?.refusesWrites || access === 'write') {
      await pool.end().catch(() => {});
      throw failure ?? error;
    }
    refused = failure.message;
  }
  const catalog = PostgresCatalog.onPool(url, pool);
  if (settings.searchIndex ?? true) {
    const problem = await catalog.enableSearchIndex();
    if (problem) observer.notice?.(problem);
  }
  const jobs = new PostgresJobStore(url, pool, refused ? restoresUnavailableText('read-only') : null);
  return {
    description: describePostgresStore(url),
    catalog: timed(catalog, observer.backendCall),
    jobs: timed(jobs, observer.backendCall),
    readOnly: refused ?? (access === 'read' ? 'opened for reading' : null),
    describeFailure: (error) => describePostgresFailure(url, error),
    searchIndexBytes: () => catalog.searchIndexBytes(),
    catalogBytes: async () => {
      const { rows } = await pool.query<{ bytes: number }>('SELECT pg_database_size(current_database()) AS bytes');
      return rows[0].bytes;
    },
    checkIntegrity: () => checkIntegrityOn(url, pool),
    probe: async () => [await probeWith(url, () => checkOut(pool), async (client, error) => (client as pg.PoolClient).release(error))],
    async close() {
      try {
        await jobs.close();
        await catalog.close();
      } finally {
        await pool.end();
      }
    },
  };
}

export const postgresCatalogBackend: CatalogBackendFactory = {
  open: (settings, access, observer) => open(settings, access, observer),
  probe: (settings) => probeOnce(urlOf(settings)),
  async checkIntegrity(settings) {
    const url = urlOf(settings);
    const pool = openPool(url, { max: 1 });
    try {
      return await checkIntegrityOn(url, pool);
    } finally {
      await pool.end().catch(() => {});
    }
  },
};
