/**
 * Recovery as the rest of mtm sees it: preview a restore, file it (decision before any write:
 * accepted and queued, or denied with a reason and a denial email), follow its job, and the entry
 * point the IMAP `Restore` mailbox calls. The CLI, the IMAP server and the HTTP API all go through here.
 */
import type { Logger } from 'pino';
import type { RecoverySettings, RedisSettings, SnapshotSettings, UpstreamSettings } from '../config/settings.js';
import { upstreamConnector, type AccountSettings, type UpstreamConnector } from '../upstream/index.js';
import { silentLogger } from '../log.js';
import { addDays, dayIn, type DayLabel } from '../snapshots/day-label.js';
import type { Store } from '../snapshots/store/store.js';
import { SnapshotWalk } from '../snapshots/walk/index.js';
import { QueueUnavailableError, restoreQueueFor, type RestoreQueueFactory } from './bull-queue.js';
import { noticeDeliveryFor, type NoticeDelivery } from './delivery.js';
import { previewRestore, RestoreInterrupted, runRestore, type RestorePreview } from './engine.js';
import { JobStoreUnavailable, type JobStore, type RestoreJob } from './jobs.js';
import { LiveMailbox } from './live-mailbox.js';
import type { RestoreNotice } from './notice.js';
import { PlanError, planRestore, planTotals, type RestorePlan } from './plan.js';
import type { JobRunner, RestoreQueue } from './queue.js';
import { requestProblem, type RestoreRequest } from './request.js';

export type DenialCode = 'not-allowed' | 'no-snapshot' | 'outside-retention' | 'bad-request' | 'busy' | 'daily-limit' | 'over-quota' | 'over-max-bytes' | 'unavailable';

export interface Denial {
  code: DenialCode;
  reason: string;
  advice: string;
}

export type Decision =
  | { accepted: true; jobId: string; preview: RestorePreview }
  /** jobId is null when the request was not recorded (a requester asking for someone else's account). */
  | {
      accepted: false;
      jobId: string | null;
      denial: Denial;
      notified: boolean;
      /** A denial for the same reason was already emailed today: no new email, no new record. */
      alreadyNotified?: boolean;
    };

export type PreviewOutcome = { ok: true; preview: RestorePreview } | { ok: false; denial: Denial };

/** What restores read: the live server and its credentials, the snapshot days kept, the restore limits, Redis. */
export interface RecoveryServiceSettings {
  upstream: UpstreamSettings;
  snapshot: AccountSettings & Pick<SnapshotSettings, 'timezone' | 'retentionDays'>;
  recovery: RecoverySettings;
  redis: RedisSettings;
}

export interface RecoveryServiceOptions {
  config: RecoveryServiceSettings;
  store: Store;
  logger?: Logger;
  /** Builds the queue around the service's job runner; by default restoreQueueFor(config): BullMQ with redis.url, else in-process. */
  queue?: RestoreQueueFactory;
  delivery?: NoticeDelivery;
  /** Sessions on the live server; by default with config.upstream and the configured credentials. */
  upstream?: UpstreamConnector;
  now?: () => Date;
}

const PROGRESS_WRITE_MS = 250;

class Denied extends Error {
  constructor(readonly denial: Denial) {
    super(denial.reason);
  }
}

function deny(code: DenialCode, reason: string, advice: string): never {
  throw new Denied({ code, reason, advice });
}

/** The email a finished job calls for (null for jobs still active). */
function noticeOf(job: RestoreJob): RestoreNotice | null {
  const { request, id: jobId } = job;
  switch (job.status) {
    case 'done':
      return { kind: 'completed', request, jobId, result: job.result, preview: job.preview };
    case 'interrupted':
      return { kind: 'interrupted', request, jobId, result: job.result, reason: job.reason, advice: INTERRUPTED_ADVICE };
    case 'failed':
      return { kind: 'failed', request, jobId, result: job.result, reason: job.reason };
    default:
      return null;
  }
}

const INTERRUPTED_ADVICE = 'ask for the same restore again once the mail server is back; messages already restored are recognised and not written twice';

export class RecoveryService {
  readonly jobs: JobStore;
  readonly queue: RestoreQueue;
  private readonly config: RecoveryServiceSettings;
  private readonly upstream: UpstreamConnector;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly delivery: NoticeDelivery;
  private readonly now: () => Date;

  constructor(options: RecoveryServiceOptions) {
    this.config = options.config;
    this.upstream = options.upstream ?? upstreamConnector(options.config.upstream, options.config.snapshot);
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.delivery = options.delivery ?? noticeDeliveryFor(options.config.recovery, this.upstream);
    this.now = options.now ?? (() => new Date());
    this.jobs = options.store.jobs;
    const runner: JobRunner = (jobId) => this.run(jobId);
    this.queue = (options.queue ?? restoreQueueFor(options.config, { logger: this.logger }))(runner, this.jobs);
  }

  private today(): DayLabel {
    return dayIn(this.config.snapshot.timezone, this.now());
  }

  /** The checks that need no live server: who asks, which day, what scope. */
  private async checkRequest(request: RestoreRequest): Promise<RestorePlan> {
    const { account, day } = request;
    if (request.requester.kind === 'account' && request.requester.account !== account) {
      deny('not-allowed', `${request.requester.account} may not restore into ${account}'s mailbox`, 'sign in as the account whose mail you want back, or ask an administrator');
    }
    const today = this.today();
    const oldest = addDays(today, -(this.config.snapshot.retentionDays - 1));
    if (day < oldest || day > today) {
      deny('outside-retention', `${day} is outside the ${this.config.snapshot.retentionDays} days snapshots are kept (${oldest} to ${today})`, `choose a day from ${oldest} to ${today}`);
    }
    if ((await new SnapshotWalk(this.store.catalog, account).findCapture(day)) === null) {
      deny('no-snapshot', `there is no snapshot of ${account} for ${day}`, 'choose one of the days listed in your Snapshots folder');
    }
    if (request.scope.kind === 'messages' && request.scope.uids.length === 0) deny('bad-request', 'no messages were named', 'name at least one message');
    try {
      return await planRestore(this.store, account, day, request.scope, request.mode);
    } catch (error) {
      if (error instanceof PlanError) deny('bad-request', error.message, 'check the folder name and message UIDs in that day\'s snapshot');
      throw error;
    }
  }

  /** The checks that need the live server: what is already there, and whether the rest fits. */
  private async checkLive(plan: RestorePlan): Promise<RestorePreview> {
    let live: LiveMailbox;
    try {
      live = await LiveMailbox.open(this.upstream, plan.account);
    } catch (error) {
      deny('unavailable', `the mail server could not be reached (${(error as Error).message})`, 'try again in a few minutes');
    }
    try {
      const preview = await previewRestore(live, plan);
      const { maxBytes } = this.config.recovery;
      if (preview.bytesToRestore > maxBytes) {
        deny('over-max-bytes', `the restore would write ${preview.bytesToRestore} bytes, more than the ${maxBytes} bytes allowed in one request`, 'restore fewer folders or messages at a time, or ask an administrator');
      }
      const quota = await live.quota();
      if (quota && quota.usedBytes + preview.bytesToRestore > quota.limitBytes) {
        deny('over-quota', `the restore needs ${preview.bytesToRestore} bytes but your mailbox has only ${Math.max(0, quota.limitBytes - quota.usedBytes)} of its ${quota.limitBytes} bytes free`, 'delete or archive mail to make room, restore fewer messages, or use a separate restore of a single folder');
      }
      return preview;
    } catch (error) {
      // The live server going away while we look is "try again later", not a fault of the request.
      if (!(error instanceof Denied) && !live.connected) deny('unavailable', `the connection to the mail server was lost (${(error as Error).message})`, 'try again in a few minutes');
      throw error;
    } finally {
      await live.close();
    }
  }

  /** What the restore would do, without writing or recording anything. */
  async preview(request: RestoreRequest): Promise<PreviewOutcome> {
    const problem = requestProblem(request);
    if (problem) return { ok: false, denial: { code: 'bad-request', reason: problem, advice: 'correct the request and send it again' } };
    try {
      return { ok: true, preview: await this.checkLive(await this.checkRequest(request)) };
    } catch (error) {
      if (error instanceof Denied) return { ok: false, denial: error.denial };
      throw error;
    }
  }

  /** Decides; an accepted restore is queued and runs in the background (see whenDone/job). */
  async submit(request: RestoreRequest): Promise<Decision> {
    const requestedOn = this.today();
    // A malformed request is answered, never recorded or emailed: its values may be anything.
    const problem = requestProblem(request);
    if (problem) {
      this.logger.info({ origin: request.origin, problem }, 'malformed restore request refused');
      return { accepted: false, jobId: null, denial: { code: 'bad-request', reason: problem, advice: 'correct the request and send it again' }, notified: false };
    }
    let job: RestoreJob | null = null;
    // A restore that cannot be recorded could be neither limited nor resumed: refused, not attempted.
    const unrecordable = (reason: string): Decision => {
      this.logger.warn({ account: request.account, day: request.day, reason }, 'restore refused: the store cannot be written');
      return { accepted: false, jobId: null, denial: { code: 'unavailable', reason, advice: 'try again later; the administrator has to make room in the snapshot store or make it writable' }, notified: false };
    };
    if (this.jobs.unavailable) return unrecordable(this.jobs.unavailable);
    try {
      const plan = await this.checkRequest(request);
      const claim = await this.jobs.claim(request, requestedOn, this.config.recovery.maxPerDay);
      if (!claim.claimed) {
        if (claim.conflict === 'busy') deny('busy', `another restore for ${request.account} is in progress (requested ${claim.active.createdAt})`, 'wait for its confirmation email, then ask again');
        deny('daily-limit', `${request.account} has already made ${claim.count} restore requests today, the most allowed per day`, 'try again tomorrow, or ask an administrator');
      }
      job = claim.job;
      const preview = await this.checkLive(plan);
      await this.jobs.update(job.id, { status: 'queued', preview, progress: { done: 0, total: planTotals(plan).messages } });
      try {
        await this.queue.enqueue(job.id);
      } catch (error) {
        if (error instanceof QueueUnavailableError) deny('unavailable', `restores cannot be queued right now (${error.message})`, 'try again in a few minutes; an administrator should check Redis');
        throw error;
      }
      this.logger.info({ account: request.account, day: request.day, jobId: job.id, toRestore: preview.toRestore }, 'restore accepted');
      return { accepted: true, jobId: job.id, preview };
    } catch (error) {
      if (error instanceof JobStoreUnavailable) return unrecordable(error.message);
      if (!(error instanceof Denied)) {
        if (job) await this.jobs.update(job.id, { status: 'failed', reason: (error as Error).message });
        throw error;
      }
      const { denial } = error;
      this.logger.info({ account: request.account, day: request.day, code: denial.code }, 'restore denied');
      // Someone else's account: record nothing there and send it no mail.
      if (denial.code === 'not-allowed') return { accepted: false, jobId: null, denial, notified: false };
      // At most one denial email (and record) per reason, account and day: repeats are only counted.
      const { job: denied, first } = await this.jobs.recordDenial(job?.id ?? null, request, requestedOn, denial.code, denial.reason);
      const notified = first ? await this.notify({ kind: 'denied', request, jobId: denied.id, reason: denial.reason, advice: denial.advice }) : false;
      return { accepted: false, jobId: denied.id, denial, notified, ...(!first && { alreadyNotified: true }) };
    }
  }

  /** IMAP-native path: COPY/MOVE into `Restore` files a merge restore of exactly those messages. */
  async fileRestoreFromImap(args: { account: string; day: DayLabel; folder: string; uids: number[] }): Promise<Decision> {
    return this.submit({
      account: args.account,
      day: args.day,
      scope: { kind: 'messages', folder: args.folder, uids: [...new Set(args.uids)] },
      mode: 'merge',
      requester: { kind: 'account', account: args.account },
      origin: 'imap',
    });
  }

  /** Runs an interrupted or failed job again; the restore's idempotence makes this safe. */
  async rerun(jobId: string): Promise<RestoreJob> {
    const previous = (await this.jobs.get(jobId))?.status;
    const claim = await this.jobs.requeue(jobId);
    if (!claim.claimed) throw new Error(claim.conflict === 'busy' ? `another restore for this account is in progress (${claim.active.id})` : 'daily limit reached');
    try {
      await this.queue.enqueue(jobId);
    } catch (error) {
      // Not queued after all: left as it was, so it can be run again later.
      await this.jobs.update(jobId, { status: previous ?? 'interrupted' });
      throw error;
    }
    return claim.job;
  }

  job(jobId: string): Promise<RestoreJob | null> {
    return this.jobs.get(jobId);
  }

  async whenDone(jobId: string): Promise<RestoreJob> {
    await this.queue.whenDone(jobId);
    const job = await this.jobs.get(jobId);
    if (!job) throw new Error(`no restore job ${jobId}`);
    return job;
  }

  private async notify(notice: RestoreNotice): Promise<boolean> {
    try {
      await this.delivery.deliver(notice);
      return true;
    } catch (error) {
      this.logger.error({ account: notice.request.account, jobId: notice.jobId, error: (error as Error).message }, 'confirmation email not delivered');
      return false;
    }
  }

  private async run(jobId: string): Promise<void> {
    const queued = await this.jobs.get(jobId);
    if (!queued || queued.status !== 'queued') return;
    const { request } = queued;
    let job = await this.jobs.update(jobId, { status: 'running' });
    let lastWrite = 0;
    try {
      const plan = await planRestore(this.store, request.account, request.day, request.scope, request.mode);
      const live = await LiveMailbox.open(this.upstream, request.account);
      try {
        await this.deliverPendingNotices(request.account);
        const result = await runRestore(live, this.store, plan, (progress) => {
          if (Date.now() - lastWrite < PROGRESS_WRITE_MS && progress.done < progress.total) return;
          lastWrite = Date.now();
          void this.jobs.update(jobId, { progress }).catch(() => undefined);
        });
        job = await this.jobs.update(jobId, { status: 'done', result, progress: { done: job.progress.total || result.restored + result.alreadyPresent + result.failed, total: job.progress.total } });
        this.logger.info({ account: request.account, jobId, restored: result.restored, alreadyPresent: result.alreadyPresent, failed: result.failed }, 'restore done');
        await this.notifyFor(job);
      } finally {
        await live.close();
      }
    } catch (error) {
      // An interrupted restore is recorded as such, with what it had done: never as "done".
      const interrupted = error instanceof RestoreInterrupted ? error : null;
      const reason = (error as Error).message;
      job = await this.jobs.update(jobId, { status: interrupted?.connectionLost ? 'interrupted' : 'failed', reason, ...(interrupted && { result: interrupted.result }) });
      this.logger.error({ account: request.account, jobId, status: job.status, error: reason, restored: interrupted?.result.restored }, 'restore did not finish');
      await this.notifyFor(job);
    }
  }

  /** The email for a finished job; when it cannot be delivered now, it is kept pending and sent later. */
  private async notifyFor(job: RestoreJob): Promise<void> {
    const notice = noticeOf(job);
    if (!notice) return;
    const delivered = await this.notify(notice);
    if (!delivered) await this.jobs.update(job.id, { noticePending: true });
  }

  /**
   * Sends the emails that could not be delivered when their job ended (typically: the live server
   * had gone away, which is what interrupted the restore). Called whenever the live server has just
   * been reached for the account.
   */
  private async deliverPendingNotices(account: string): Promise<void> {
    for (const job of await this.jobs.list(account)) {
      if (!job.noticePending) continue;
      const notice = noticeOf(job);
      if (!notice || (await this.notify(notice))) await this.jobs.update(job.id, { noticePending: false });
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
