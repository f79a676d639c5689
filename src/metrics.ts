/**
 * Prometheus metrics (prom-client), all in one registry served at /metrics. The layers that report
 * never import this module: they are given observers (`servingMetrics`, `snapshotMetrics`, the
 * store's damage callback), wired in service.ts and the CLI; nothing here reaches into them.
 *
 * The IMAP server's ServingObserver (src/proxy/observer.ts), given to createImapServer:
 *   metrics.connectionOpened() / metrics.connectionClosed()   — on accept / on socket close
 *   metrics.command(name, result, seconds)                    — once per tagged command, result 'ok' | 'no' | 'bad'
 *   metrics.bytesSent(n)                                      — bytes written to client sockets
 *   metrics.login(result)                                     — 'ok' | 'failed' | 'limited' | 'unavailable'
 * Recovery: metrics.restoreJob(result) — e.g. 'accepted' | 'denied' | 'done' | 'failed'.
 * Store: metrics.blobDamaged() — from the store's damage observer (cli/context.ts);
 *   metrics.storeBackendCall(call) — every call to a remote store backend (S3, PostgreSQL), from its observer.
 * Snapshots: the SnapshotObserver / SchedulerObserver given to runSnapshots / startScheduler:
 *   snapshotAccount, snapshotRun, refreshStore.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { ServingObserver } from './proxy/observer.js';
import type { AccountOutcome, SnapshotRunSummary } from './snapshots/snapshotter/run.js';
import type { SchedulerObserver } from './snapshots/scheduler/scheduler.js';
import type { Store } from './snapshots/store/store.js';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const registers = [metricsRegistry];

const openConnections = new Gauge({ name: 'mtm_imap_connections_open', help: 'IMAP client connections open now', registers });
const commands = new Counter({ name: 'mtm_imap_commands_total', help: 'IMAP commands answered, by command and result', labelNames: ['command', 'result'] as const, registers });
const commandSeconds = new Histogram({
  name: 'mtm_imap_command_duration_seconds',
  help: 'Time from a command read to its tagged answer',
  labelNames: ['command'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});
const sentBytes = new Counter({ name: 'mtm_imap_sent_bytes_total', help: 'Bytes sent to IMAP clients', registers });
const logins = new Counter({ name: 'mtm_logins_total', help: 'Login attempts, by result', labelNames: ['result'] as const, registers });

const snapshotRuns = new Counter({ name: 'mtm_snapshot_runs_total', help: 'Snapshot runs, by result (ok, partial: some accounts failed, failed: all failed)', labelNames: ['result'] as const, registers });
const snapshotRunSeconds = new Histogram({
  name: 'mtm_snapshot_run_duration_seconds',
  help: 'Duration of a whole snapshot run',
  buckets: [1, 10, 60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600],
  registers,
});
const snapshotAccounts = new Counter({ name: 'mtm_snapshot_accounts_total', help: 'Account snapshots, by result', labelNames: ['result'] as const, registers });
const snapshotFailures = new Counter({ name: 'mtm_snapshot_failures_total', help: 'Account snapshots that failed', registers });
const snapshotMessages = new Counter({ name: 'mtm_snapshot_messages_total', help: 'Messages captured by account snapshots (all of them, not only new ones)', registers });
const snapshotBytes = new Counter({ name: 'mtm_snapshot_bytes_total', help: 'Message bytes captured by account snapshots', registers });
const snapshotDownloadedBytes = new Counter({ name: 'mtm_snapshot_downloaded_bytes_total', help: 'Message bytes downloaded from the live server', registers });
const lastRunMessages = new Gauge({ name: 'mtm_snapshot_last_run_messages', help: 'Messages captured by the last run', registers });
const lastRunBytes = new Gauge({ name: 'mtm_snapshot_last_run_bytes', help: 'Message bytes captured by the last run', registers });
const lastRunFailures = new Gauge({ name: 'mtm_snapshot_last_run_failures', help: 'Accounts that failed in the last run', registers });
const lastRunTimestamp = new Gauge({ name: 'mtm_snapshot_last_run_timestamp_seconds', help: 'When the last run ended (Unix time)', registers });

const storeBytes = new Gauge({ name: 'mtm_store_bytes', help: 'Bytes on disk of the store, by part (blobs compressed, catalog incl. WAL)', labelNames: ['part'] as const, registers });
const storeBlobs = new Gauge({ name: 'mtm_store_blobs', help: 'Message blobs in the store', registers });
const storeAccounts = new Gauge({ name: 'mtm_store_accounts', help: 'Accounts with at least one snapshot day', registers });
// A distribution, not one series per account: a provider may have 100 000 mailboxes.
const accountsByDays = new Gauge({ name: 'mtm_store_accounts_by_days', help: 'Accounts by number of snapshot days kept', labelNames: ['days'] as const, registers });

// Damage, not blobs: one series whatever the number of accounts; the log names account and blob.
const storeBackendSeconds = new Histogram({
  name: 'mtm_store_backend_call_duration_seconds',
  help: 'Calls to a remote store backend (s3, postgres), by backend, operation and outcome (ok, error)',
  labelNames: ['backend', 'operation', 'outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});
const blobDamage = new Counter({ name: 'mtm_blob_damage_total', help: 'Reads that found a stored message damaged (checksum, hash or format); each is logged with account and blob', registers });

const restoreJobs = new Counter({ name: 'mtm_restore_jobs_total', help: 'Restore jobs, by result', labelNames: ['result'] as const, registers });

/** Command names come from clients: keep the label set bounded whatever they send. */
const MAX_COMMAND_LABELS = 64;
const seenCommands = new Set<string>();
function commandLabel(name: string): string {
  const upper = name.toUpperCase();
  if (!/^[A-Z][A-Z0-9.-]{0,15}( [A-Z][A-Z0-9.-]{0,15})?$/.test(upper)) return 'OTHER';
  if (seenCommands.has(upper)) return upper;
  if (seenCommands.size >= MAX_COMMAND_LABELS) return 'OTHER';
  seenCommands.add(upper);
  return upper;
}

export const metrics = {
  connectionOpened(): void {
    openConnections.inc();
  },
  connectionClosed(): void {
    openConnections.dec();
  },
  command(name: string, result: 'ok' | 'no' | 'bad', seconds: number): void {
    const label = commandLabel(name);
    commands.inc({ command: label, result });
    commandSeconds.observe({ command: label }, seconds);
  },
  bytesSent(bytes: number): void {
    if (bytes > 0) sentBytes.inc(bytes);
  },
  login(result: 'ok' | 'failed' | 'limited' | 'unavailable'): void {
    logins.inc({ result });
  },
  snapshotAccount(outcome: AccountOutcome): void {
    snapshotAccounts.inc({ result: outcome.ok ? 'ok' : 'failed' });
    if (!outcome.ok) {
      snapshotFailures.inc();
      return;
    }
    snapshotMessages.inc(outcome.result.messages);
    snapshotBytes.inc(outcome.result.bytes);
    snapshotDownloadedBytes.inc(outcome.result.downloadedBytes);
  },
  snapshotRun(run: SnapshotRunSummary): void {
    const result = run.failed === 0 ? 'ok' : run.failed < run.accounts ? 'partial' : 'failed';
    snapshotRuns.inc({ result });
    snapshotRunSeconds.observe(run.seconds);
    lastRunMessages.set(run.messages);
    lastRunBytes.set(run.bytes);
    lastRunFailures.set(run.failed);
    lastRunTimestamp.set(Date.now() / 1000);
  },
  /** A call to a remote store backend finished (StoreObserver.backendCall). */
  storeBackendCall(call: { backend: string; operation: string; seconds: number; ok: boolean }): void {
    storeBackendSeconds.observe({ backend: call.backend, operation: call.operation, outcome: call.ok ? 'ok' : 'error' }, call.seconds);
  },
  /** A read found a stored message damaged (see BlobDamagedError). */
  blobDamaged(): void {
    blobDamage.inc();
  },
  restoreJob(result: string): void {
    restoreJobs.inc({ result });
  },
  /** Recomputes the store gauges; called after runs and retention, not on every scrape (it reads the whole catalog). */
  async refreshStore(store: Store): Promise<void> {
    let withDays = 0;
    const histogram = new Map<number, number>();
    for (const account of await store.catalog.accounts()) {
      const days = (await store.catalog.days(account)).length;
      if (days > 0) withDays += 1;
      histogram.set(days, (histogram.get(days) ?? 0) + 1);
    }
    const sizes = await store.sizes();
    storeBytes.set({ part: 'blobs' }, sizes.blobBytes);
    storeBytes.set({ part: 'catalog' }, sizes.catalogBytes);
    storeBlobs.set(sizes.blobCount);
    storeAccounts.set(withDays);
    accountsByDays.reset();
    for (const [days, count] of histogram) accountsByDays.set({ days: String(days) }, count);
  },
};

/** The exposition text and its content type, for the /metrics route. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

/** This process's metrics as data, for the primary of `mtm serve` to add up (src/cluster). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export function metricsSnapshot(): Promise<MetricsSnapshot> {
  return metricsRegistry.getMetricsAsJSON();
}

/**
 * /metrics of a server with IMAP worker processes: this process's metrics and the workers',
 * added up as prom-client does for a cluster (counters and gauges summed, histograms merged).
 */
export async function renderMetricsWith(workers: MetricsSnapshot[]): Promise<{ contentType: string; body: string }> {
  const together = AggregatorRegistry.aggregate([await metricsSnapshot(), ...workers]);
  return { contentType: together.contentType, body: await together.metrics() };
}

/** The prom-client implementations of the observers the layers are given (wired in service.ts). */
export const servingMetrics: ServingObserver = metrics;
export const snapshotMetrics: SchedulerObserver = metrics;
