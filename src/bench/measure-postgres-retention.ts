/**
 * Retention cost of the PostgreSQL catalog for one account, alone and beside other accounts of the
 * same size: dropping the oldest day and collecting garbage must read only that account's rows
 * (docs/deployment.md, "PostgreSQL catalog"). Usage:
 *   node dist/bench/measure-postgres-retention.js <postgres-url of an empty database> [messages] [other accounts]
 * Rows are generated in SQL (a folder of `messages` messages, 15 committed days, a tenth of the
 * messages changing flags every day); the retention itself runs through PostgresCatalog.
 */
import pg from 'pg';
import { OPEN } from '../snapshots/store/catalog.js';
import { PostgresCatalog } from '../snapshots/store/postgres/catalog.js';

const DAYS = 15;

async function populate(client: pg.Client, account: string, messages: number): Promise<void> {
  const { rows: [{ id }] } = await client.query<{ id: string }>('INSERT INTO accounts (name) VALUES ($1) RETURNING id', [account]);
  const seqs: number[] = [];
  for (let day = 1; day <= DAYS; day++) {
    const { rows } = await client.query<{ seq: string }>(
      "INSERT INTO captures (account_id, label, status, committed_at) VALUES ($1, $2, 'committed', now()) RETURNING seq",
      [id, `2026-11-${String(day).padStart(2, '0')}`],
    );
    seqs.push(Number(rows[0].seq));
  }
  // The latest day's rows are open-ended (see OPEN in catalog.ts).
  const [first, last] = [seqs[0], OPEN];
  await client.query(
    `INSERT INTO folder_versions (account_id, name, delimiter, uid_validity, uid_next, highest_modseq, subscribed, special_use, messages, bytes, first_seq, last_seq)
     VALUES ($1, 'INBOX', '/', 1, $2 + 1, NULL, true, NULL, $2, $2 * 5000, $3, $4)`,
    [id, messages, first, last],
  );
  await client.query(
    `INSERT INTO blobs (account_id, hash, size, stored_bytes, structure, added_seq, header)
     SELECT $1, md5($2 || i) || md5(i || $2), 5000, 2000, '{}', $3, NULL FROM generate_series(1, $4) AS i`,
    [id, account, first, messages],
  );
  // Nine tenths unchanged for all days; a tenth get a new version (flags) each day.
  await client.query(
    `INSERT INTO message_versions (account_id, folder, uid_validity, uid, blob_hash, flags, internal_date, size, first_seq, last_seq)
     SELECT $1, 'INBOX', 1, i, md5($2 || i) || md5(i || $2), '[]', 1700000000000 + i, 5000, $3, $4 FROM generate_series(1, $5) AS i WHERE i % 10 <> 0`,
    [id, account, first, last, messages],
  );
  await client.query(
    `INSERT INTO message_versions (account_id, folder, uid_validity, uid, blob_hash, flags, internal_date, size, first_seq, last_seq)
     SELECT $1, 'INBOX', 1, i, md5($2 || i) || md5(i || $2), '["\\\\Seen' || d || '"]', 1700000000000 + i, 5000, s, CASE WHEN s = $5 THEN $6 ELSE s END
     FROM generate_series(1, $3) AS i, unnest($4::bigint[]) WITH ORDINALITY AS c(s, d) WHERE i % 10 = 0`,
    [id, account, messages, seqs, seqs[DAYS - 1], OPEN],
  );
}

interface TableReads { seqScans: number; seqRows: number; indexRows: number }

async function reads(client: pg.Client): Promise<Map<string, TableReads>> {
  // Statistics reach the views with a delay: force them out first.
  await client.query('SELECT pg_stat_force_next_flush()').catch(() => {});
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ relname: string; seq_scan: string; seq_tup_read: string; idx_tup_read: string }>(
    `SELECT t.relname, t.seq_scan, t.seq_tup_read, coalesce((SELECT sum(i.idx_tup_read) FROM pg_stat_user_indexes i WHERE i.relid = t.relid), 0) AS idx_tup_read
     FROM pg_stat_user_tables t WHERE t.relname IN ('message_versions', 'folder_versions', 'blobs', 'captures', 'fetched_bodies')`,
  );
  return new Map(rows.map((row) => [row.relname, { seqScans: Number(row.seq_scan), seqRows: Number(row.seq_tup_read), indexRows: Number(row.idx_tup_read) }]));
}

async function main(): Promise<void> {
  const [url, messagesArg = '100000', othersArg = '5'] = process.argv.slice(2);
  if (!url) throw new Error('usage: measure-postgres-retention <postgres-url of an empty database> [messages] [other accounts]');
  const messages = Number(messagesArg);
  const otherCount = Number(othersArg);
  const catalog = await PostgresCatalog.open(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const measure = async (account: string, otherAccounts: number, populateSeconds: number) => {
    const { rows: [{ n }] } = await client.query<{ n: string }>('SELECT count(*) AS n FROM message_versions');
    const { rows: [{ size }] } = await client.query<{ size: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS size');
    const before = await reads(client);
    const t0 = process.hrtime.bigint();
    const dropped = await catalog.dropDays(account, ['2026-11-01']);
    const t1 = process.hrtime.bigint();
    const freed = await catalog.collectGarbage(account);
    const t2 = process.hrtime.bigint();
    const after = await reads(client);
    const tables = [...after].map(([table, a]) => {
      const b = before.get(table)!;
      return `${table}: ${a.seqScans - b.seqScans} seq scans (${a.seqRows - b.seqRows} rows), ${a.indexRows - b.indexRows} index entries read`;
    });
    console.log(JSON.stringify({
      otherAccounts, messageRowsInDatabase: Number(n), databaseSize: size, populateSeconds,
      dropped, dropDaysMs: Number(t1 - t0) / 1e6, collectGarbageMs: Number(t2 - t1) / 1e6, blobsFreed: freed.length, reads: tables,
    }, null, 1));
  };
  const timed = async (work: () => Promise<void>) => {
    const started = Date.now();
    await work();
    await client.query('ANALYZE');
    return (Date.now() - started) / 1000;
  };
  try {
    await measure('alone', 0, await timed(() => populate(client, 'alone', messages)));
    const others = await timed(async () => {
      for (let i = 1; i <= otherCount; i++) await populate(client, `other-${i}`, messages);
    });
    console.log(`populated ${otherCount} other accounts in ${others} s`);
    await measure('beside', otherCount + 1, await timed(() => populate(client, 'beside', messages)));
  } finally {
    await client.end();
    await catalog.close();
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
