/**
 * The configuration contract (DESIGN §4). Every key has a default so that an empty file works
 * for the embedded setup; the schema is also what `MTM_*` environment overrides are checked against.
 */
import { z } from 'zod';
import { Cron } from 'croner';

const port = z.number().int().min(0).max(65535);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The message names no part of the value: a PostgreSQL URL may carry a password. */
const POSTGRES_URL_PROBLEM = 'must be empty (embedded SQLite) or a URL like postgres://user@host:5432/database';

function isPostgresUrlOrEmpty(url: string): boolean {
  if (url === '') return true;
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function isCronPattern(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  if (value === '') return true;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export const configSchema = z
  .object({
    upstream: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(143),
        tls: z.enum(['none', 'starttls', 'implicit']).default('none'),
        rejectUnauthorized: z.boolean().default(true),
        timeoutSeconds: z.number().positive().default(30),
        /**
         * Tell the live server, when a user's password is checked, which address the user connects
         * from (IMAP ID `x-originating-ip`), so its per-address penalties hit that client, not us.
         */
        forwardClientIp: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    snapshot: z
      .object({
        accounts: z.array(z.string().min(1)).default([]),
        accountsFile: z.string().min(1).optional(),
        auth: z
          .object({
            mode: z.enum(['master', 'accounts']).default('master'),
            masterUser: z.string().default(''),
            masterPassword: z.string().default(''),
          })
          .strict()
          .prefault({}),
        schedule: z.string().refine(isCronPattern, 'is not a valid cron pattern').default('0 0 * * *'),
        timezone: z.string().refine(isTimeZone, 'is not a known IANA time zone').default('UTC'),
        retentionDays: z.number().int().min(1).max(3650).default(15),
        concurrency: z.number().int().min(1).max(64).default(4),
        fetchBatchSize: z.number().int().min(1).max(10000).default(200),
        /**
         * Processes a run's accounts are split across (src/snapshots/snapshotter/worker-pool.ts):
         * 0 = one per core, 1 = all in the calling process. Never more than `concurrency` or the accounts.
         * 1 by default: on the 2-core machine measured, workers did not speed up the initial run and slowed
         * the no-change run (docs/performance.md, "Nightly run on all cores").
         */
        workers: z.number().int().min(0).max(64).default(1),
      })
      .strict()
      .prefault({}),
    store: z
      .object({
        /** Set: catalog and restore jobs in PostgreSQL (src/snapshots/store/postgres); empty: embedded SQLite. */
        postgres: z.object({ url: z.string().refine(isPostgresUrlOrEmpty, POSTGRES_URL_PROBLEM).default('') }).strict().prefault({}),
        path: z.string().min(1).default('./data'),
        /** S3-compatible object storage for the blobs; an empty bucket keeps them under `path`. */
        s3: z
          .object({
            endpoint: z.string().refine(isHttpUrl, 'must be an http:// or https:// URL (or empty for AWS)').default(''),
            region: z.string().min(1).default('us-east-1'),
            bucket: z.string().regex(/^[^/\s]*$/, 'must not contain "/" or spaces').default(''),
            prefix: z.string().refine((prefix) => !prefix.split('/').some((segment) => segment === '.' || segment === '..'), 'must not contain "." or ".." segments').default(''),
            accessKeyId: z.string().default(''),
            secretAccessKey: z.string().default(''),
            forcePathStyle: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        /** A trigram index of each message's searchable text, so SEARCH TEXT/BODY read only candidates (docs/performance.md). */
        searchIndex: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(1143),
        allowPlaintextAuth: z.boolean().default(false),
        tls: z
          .object({ key: z.string().min(1), cert: z.string().min(1), port: port.default(1993) })
          .strict()
          .optional(),
        maxLineBytes: z.number().int().min(8192).default(65536),
        maxLiteralBytes: z.number().int().min(1024).default(65536),
        idleTimeoutSeconds: z.number().int().min(1).default(1800),
        maxConnectionsPerIp: z.number().int().min(1).default(50),
        /** All open IMAP connections together, whatever their addresses. */
        maxConnections: z.number().int().min(1).default(5000),
        /** From connecting to a completed login; then idleTimeoutSeconds applies. */
        preAuthTimeoutSeconds: z.number().int().min(1).default(60),
        daySeparator: z.string().length(1).default('#'),
        /** IMAP serving processes; 0 = one per core, 1 = all in one process (README "Serving on all cores"). */
        workers: z.number().int().min(0).max(256).default(0),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8025),
        tls: z.object({ key: z.string().min(1), cert: z.string().min(1) }).strict().optional(),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z.string().default(''),
        /** Prefix of the snapshot claims and restore queue keys (absent: `mtm`); deployments sharing one Redis use distinct ones. */
        keyPrefix: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"').optional(),
      })
      .strict()
      .prefault({}),
    recovery: z
      .object({
        /** Largest restore (estimated bytes to write) accepted in one request. */
        maxBytes: z.number().int().min(0).default(2 * 1024 * 1024 * 1024),
        /** Restore requests accepted per account per calendar day (snapshot.timezone). */
        maxPerDay: z.number().int().min(0).default(10),
        /** From header of confirmation and denial emails. */
        from: z.string().min(1).default('Mail Time Machine <mtm@localhost>'),
        /** How confirmation emails reach the account: APPEND into its live INBOX, or SMTP. */
        deliver: z.enum(['append', 'smtp']).default('append'),
        smtp: z
          .object({
            host: z.string().min(1),
            port: port.default(587),
            secure: z.boolean().default(false),
            user: z.string().optional(),
            password: z.string().optional(),
          })
          .strict()
          .optional(),
        /** Bearer token that acts as an administrator (any account) on the recovery API. */
        adminToken: z.string().min(16).optional(),
      })
      .strict()
      .prefault({}),

    auth: z
      .object({
        cacheSeconds: z.number().int().min(0).default(300),
        failureDelayMs: z.number().int().min(0).default(1500),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    const auth = config.snapshot.auth;
    if (auth.mode === 'master' && (config.snapshot.accounts.length > 0 || config.snapshot.accountsFile)) {
      if (!auth.masterUser) context.addIssue({ code: 'custom', path: ['snapshot', 'auth', 'masterUser'], message: 'is required when snapshot.auth.mode is master' });
    }
    if (config.recovery.deliver === 'smtp' && !config.recovery.smtp) {
      context.addIssue({ code: 'custom', path: ['recovery', 'smtp'], message: 'is required when recovery.deliver is smtp (host, port, secure, user, password)' });
    }
    const s3 = config.store.s3;
    if (!s3.bucket && (s3.endpoint || s3.accessKeyId || s3.secretAccessKey || s3.prefix)) {
      context.addIssue({ code: 'custom', path: ['store', 's3', 'bucket'], message: 'is required when other store.s3 keys are set (without a bucket, blobs stay under store.path)' });
    }
    if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey)) {
      context.addIssue({ code: 'custom', path: ['store', 's3', s3.accessKeyId ? 'secretAccessKey' : 'accessKeyId'], message: 'is required with the other one (or leave both empty for the SDK\'s default credentials)' });
    }
    if (auth.mode === 'accounts' && !config.snapshot.accountsFile) {
      context.addIssue({ code: 'custom', path: ['snapshot', 'accountsFile'], message: 'is required when snapshot.auth.mode is accounts (one "user password" per line)' });
    }
  });

export type Config = z.infer<typeof configSchema>;
