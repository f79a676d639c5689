/**
 * PostgreSQL + S3 for the bench's remote-store rows: a database per store on the machine's
 * PostgreSQL (MTM_BENCH_POSTGRES_URL, default the local server's maintenance database, as the
 * tests use) and one bucket on an S3-protocol server (MTM_BENCH_S3_ENDPOINT with
 * MTM_BENCH_S3_ACCESS_KEY_ID/SECRET_ACCESS_KEY, else a private s3rver), a prefix per store.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import type { StoreSettings } from '../snapshots/store/store.js';

export interface RemoteStores {
  /** What the S3 numbers were measured against, for the notes. */
  description: string;
  /** The settings of a fresh remote store (a new database and prefix) for each index. */
  settings(index: number): Promise<Pick<StoreSettings, 'postgres' | 's3'>>;
  close(): Promise<void>;
}

const BUCKET = 'mtm-bench';

export async function startRemoteStores(directory: string): Promise<RemoteStores> {
  const adminUrl = process.env.MTM_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin('SELECT 1');
  let stopS3 = async () => undefined;
  let endpoint = process.env.MTM_BENCH_S3_ENDPOINT ?? '';
  let credentials = { accessKeyId: process.env.MTM_BENCH_S3_ACCESS_KEY_ID ?? '', secretAccessKey: process.env.MTM_BENCH_S3_SECRET_ACCESS_KEY ?? '' };
  let description = `S3 at ${endpoint}`;
  if (!endpoint) {
    // A development dependency: the bench runs from a development checkout.
    const { default: S3rver } = await import('s3rver');
    mkdirSync(directory, { recursive: true });
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    description = 's3rver (a light test server, objects as files on the local disk)';
    stopS3 = async () => void (await server.close());
  }
  // A copy: the SDK marks the credentials object it is given (adds `$source`), which the config would refuse.
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...credentials }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  } catch (error) {
    if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test((error as Error).name)) throw error;
  } finally {
    client.destroy();
  }
  const databases = new Map<number, string>();
  return {
    description,
    async settings(index) {
      let name = databases.get(index);
      if (!name) {
        name = `mtm_bench_${process.pid}_${index}`;
        // Made of [a-z0-9_] only; a database name cannot be a query parameter.
        await admin(`CREATE DATABASE "${name}"`);
        databases.set(index, name);
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        postgres: { url: url.toString() },
        s3: { endpoint, region: 'us-east-1', bucket: BUCKET, prefix: `bench-${process.pid}-${index}`, ...credentials, forcePathStyle: true },
      };
    },
    async close() {
      for (const name of databases.values()) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await stopS3();
    },
  };
}
