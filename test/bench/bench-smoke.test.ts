/**
 * Keeps `npm run bench` from rotting: the harness runs end to end on a tiny account (its own
 * Dovecot, mbsync, our server) and prints a complete table and JSON. No timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const METRICS = [
  'initial snapshot (messages/s)',
  'initial snapshot (MB/s)',
  'no-change snapshot (s)',
  'no-change snapshot (IMAP commands)',
  'no-change snapshot (bytes received)',
  'store after 3 days ÷ raw Maildir (ratio)',
  'SELECT INBOX p50 (ms)',
  'SELECT INBOX p99 (ms)',
  'header sync UID FETCH 1:* (messages/s)',
  'FETCH 1:* BODY.PEEK[] (MB/s)',
  'FETCH 1:* (ENVELOPE BODYSTRUCTURE) (messages/s)',
  'UID FETCH 1:* (FLAGS) (messages/s)',
  'SEARCH SUBJECT (ms)',
  'SEARCH FROM (ms)',
  'SEARCH TEXT (index) (ms)',
  'SEARCH TEXT rare (index) (ms)',
  'SEARCH TEXT (scan, no index) (ms)',
  'SEARCH TEXT rare (scan, no index) (ms)',
  'search index (bytes per message)',
  '20 clients (commands/s)',
  '20 clients p99 (ms)',
  'idle connection ×12 (KiB RSS each)',
  'idle connection after COMPRESS ×12 (KiB RSS each)',
  // The provider night, with two accounts here.
  'provider night ×2: initial (accounts/minute)',
  'provider night ×2: initial (IMAP commands/account)',
  'provider night ×2: no-change (accounts/minute)',
  'provider night ×2: no-change (IMAP commands/account)',
  'provider night ×2: churn (accounts/minute)',
  'provider night ×2: churn (IMAP commands/account)',
  'provider night ×2: catalog per message (bytes)',
  'provider night ×2: store ÷ raw Maildir (ratio)',
  // Beside the embedded store, same account, same run (the machine's PostgreSQL, a private s3rver).
  'PostgreSQL + S3: initial snapshot (messages/s)',
  'PostgreSQL + S3: no-change snapshot (s)',
  'PostgreSQL + S3: SELECT INBOX p50 (ms)',
  'PostgreSQL + S3: SELECT INBOX p99 (ms)',
  'PostgreSQL + S3: header sync UID FETCH 1:* (messages/s)',
  'PostgreSQL + S3: FETCH 1:* BODY.PEEK[] (MB/s)',
];

interface JsonRow {
  metric: string;
  unit: string;
  ours: { median: number; runs: number[] };
  peer: { median: number; runs: number[] };
  ratio: number;
  pass: boolean | null;
}

describe('npm run bench', () => {
  const out = mkdtempSync(join(tmpdir(), 'mtm-bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('prints every metric with numbers and writes the same rows, machine and versions as JSON', () => {
    const run = spawnSync(
      process.execPath,
      ['dist/bench/main.js', '--quick', '--messages', '120', '--repeat', '1', '--idle', '12', '--days', '3', '--accounts', '2', '--out', out],
      { encoding: 'utf8', timeout: 600_000 },
    );
    expect(run.stderr).not.toContain('bench failed');
    expect(run.status).toBe(0);

    const tableLines = run.stdout.split('\n').filter((line) => line.startsWith('| '));
    for (const metric of METRICS) {
      const line = tableLines.find((candidate) => candidate.startsWith(`| ${metric} `));
      expect(line).toBeDefined();
      const cells = line!.split('|').map((cell) => cell.trim());
      // | metric | ours | peer | ratio | goal | verdict |
      expect(cells[2]).toMatch(/^-?[\d,.]+/);
      expect(cells[3]).toMatch(/^-?[\d,.]+/);
      expect(cells[6]).toMatch(/^[✓✗–]$/);
    }
    expect(run.stdout).toContain('index files on, no FTS plugin');

    const files = readdirSync(out).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8'));
    expect(result.machine.cpus).toBeGreaterThan(0);
    expect(result.machine.memoryBytes).toBeGreaterThan(0);
    expect(result.versions.node).toBe(process.version);
    expect(result.versions.dovecot).toMatch(/^2\./);
    expect(result.versions.mbsync).toMatch(/isync/);
    expect(result.parameters.messages).toBe(120);
    expect(result.account.messages).toBe(120);
    const rows = result.rows as JsonRow[];
    expect(rows.map((row) => `${row.metric} (${row.unit})`)).toEqual(METRICS);
    for (const row of rows) {
      expect(row.ours.runs.length).toBeGreaterThan(0);
      expect(Number.isFinite(row.ours.median)).toBe(true);
      expect(Number.isFinite(row.peer.median)).toBe(true);
    }
    // The relay saw real traffic: the initial snapshot downloaded the bodies, mbsync sent commands.
    expect(result.details.initial[0].wire.bytesFromServer).toBeGreaterThan(result.account.rawBytes);
    expect(result.details.mbsync[0].wire.commands).toBeGreaterThan(0);
    expect(result.details.search.FROM.hits.ours).toBe(result.details.search.FROM.hits.dovecot);
  });
});
