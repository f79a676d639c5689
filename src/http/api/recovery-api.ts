/**
 * The recovery HTTP JSON API (issue 4 §4), mounted on the `http` listener: browse an account's
 * snapshots (days, folders, messages with From/Subject/Date), download a message as .eml or a
 * folder as mboxrd (both streamed from the blob store, never held whole in memory), and preview,
 * submit and follow restores through RecoveryService. Every route is under
 * /api/v1/accounts/:account/…, and the caller must be that account or the administrator: another
 * account's path is refused before anything of it is read. docs/http-api.md is the reference.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import { sendJson, type HttpRoute } from '../server.js';
import type { WebSessions } from '../web/sessions.js';
import type { LoginService } from '../../proxy/index.js';
import {
  damagedAmong,
  describeUids,
  emlStream,
  folderNameProblem,
  mboxStream,
  REQUEST_LIMITS,
  resolveUidSet,
  type DenialCode,
  type RecoveryService,
  type RestoreJob,
  type RestoreRequest,
  type RestoreScope,
} from '../../recovery/index.js';
import { isDayLabel, type DayLabel } from '../../snapshots/day-label.js';
import type { FolderRecord, MessageRecord } from '../../snapshots/store/catalog.js';
import type { Store } from '../../snapshots/store/store.js';
import { leafName, SnapshotWalk, SnapshotWalkError, type SnapshotWalkProblem } from '../../snapshots/walk/index.js';
import { authenticate, mayActFor, type Principal, type SignInSettings } from '../authenticate.js';
import { summarizeMessage } from '../message-summary.js';
import { ApiError, attachmentDisposition, PathPattern, readJsonBody, requestTarget, sendError, type PathParams } from '../router.js';

export interface RecoveryApiOptions {
  config: SignInSettings;
  store: Store;
  recovery: RecoveryService;
  /** The same service IMAP logins use, so success cache and failure limits are shared. */
  loginService: LoginService;
  logger: Logger;
  /** The web interface's sessions: a request carrying its cookie acts for that session's account. */
  sessions?: WebSessions;
}

export const API_PREFIX = '/api/v1';
const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_PAGE = 1000;
const MAX_PAGE = 5000;

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  params: PathParams;
  query: URLSearchParams;
  principal: Principal;
  account: string;
}

interface Endpoint {
  method: 'GET' | 'POST';
  pattern: PathPattern;
  handle(call: Call): Promise<void>;
}

/** How a denied restore answers: the denial code stays in the body, the status tells its kind. */
const DENIAL_STATUS: Record<DenialCode, number> = {
  'not-allowed': 403,
  'no-snapshot': 422,
  'outside-retention': 422,
  'bad-request': 422,
  busy: 409,
  'daily-limit': 429,
  'over-quota': 422,
  'over-max-bytes': 422,
  unavailable: 503,
};

/** How a day or folder the snapshot walk cannot find answers. */
const WALK_STATUS: Record<SnapshotWalkProblem, number> = { 'bad-day': 400, 'no-snapshot': 404, 'no-folder': 404 };

/** Every field bounded in shape and length (REQUEST_LIMITS): what fails here is a 400 and is recorded nowhere. */
const restoreBody = z
  .object({
    day: z.string().max(10, 'must be a calendar date written YYYY-MM-DD').refine(isDayLabel, 'must be a calendar date written YYYY-MM-DD'),
    folder: z
      .string()
      .refine((folder) => folderNameProblem(folder) === null, `must be 1 to ${REQUEST_LIMITS.folderBytes} bytes without NUL, CR or LF`)
      .optional(),
    uids: z
      .array(z.number().int('must be whole numbers').min(1, 'must be at least 1').max(REQUEST_LIMITS.maxUid, `must be at most ${REQUEST_LIMITS.maxUid}`))
      .min(1, 'must name at least one message')
      .max(REQUEST_LIMITS.uids, `must name at most ${REQUEST_LIMITS.uids} messages`)
      .optional(),
    subfolders: z.boolean().optional(),
    mode: z.enum(['merge', 'separate'], 'must be merge or separate').optional(),
  })
  .strict();
const RESTORE_FIELDS = Object.keys(restoreBody.shape).join(', ');

/** A refusal naming the field, never quoting what was sent (it may be long, or meant to be echoed). */
function bodyProblem(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field; a restore takes only ${RESTORE_FIELDS}`;
  const [field, index] = issue.path;
  if (typeof field !== 'string' || !(field in restoreBody.shape)) return 'the body must be a JSON object';
  const where = typeof index === 'number' ? `${field}[${index}]` : field;
  return issue.code === 'invalid_type' ? `${where}: wrong type (expected ${issue.expected})` : `${where}: ${issue.message}`;
}

export function recoveryRoutes(options: RecoveryApiOptions): HttpRoute[] {
  const { config, store, recovery, loginService, logger } = options;
  const { catalog } = store;

  /** The snapshot walk's refusals as API errors: its message, its problem as the code. */
  async function walking<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof SnapshotWalkError) throw new ApiError(WALK_STATUS[error.problem], error.problem, error.message);
      throw error;
    }
  }

  function folderOf(account: string, day: string, name: string): Promise<{ folder: FolderRecord; messages: MessageRecord[] }> {
    return walking(() => new SnapshotWalk(catalog, account).openFolder(day, name));
  }

  /** Damage found before the 200 goes out; found later, it aborts the transfer rather than send wrong bytes. */
  async function ensureIntact(account: string, messages: MessageRecord[]): Promise<void> {
    const damaged = await damagedAmong(store, account, messages);
    if (damaged.length === 0) return;
    throw new ApiError(500, 'message-damaged', `the stored copy of message UID ${describeUids(damaged)} is damaged and cannot be served; the problem was logged, and an administrator should run mtm verify`);
  }

  async function streamDownload(call: Call, headers: Record<string, string | number>, body: () => NodeJS.ReadableStream): Promise<void> {
    call.res.writeHead(200, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    if (call.req.method === 'HEAD') {
      call.res.end();
      return;
    }
    try {
      // pipeline honours back-pressure: a slow client slows the blob reads, memory stays flat.
      await pipeline(body(), call.res);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE') logger.debug({ account: call.account }, 'download aborted by the client');
      else logger.error({ account: call.account, error: (error as Error).message }, 'download failed mid-stream');
    }
  }

  function restoreRequest(call: Call, body: unknown): RestoreRequest {
    const parsed = restoreBody.safeParse(body);
    if (!parsed.success) throw new ApiError(400, 'bad-request', bodyProblem(parsed.error.issues[0]));
    const { day, folder, uids, subfolders, mode } = parsed.data;
    let scope: RestoreScope;
    if (uids) {
      if (!folder) throw new ApiError(422, 'bad-request', 'uids need the folder they belong to');
      if (subfolders) throw new ApiError(422, 'bad-request', 'uids and subfolders cannot be combined');
      scope = { kind: 'messages', folder, uids: [...new Set(uids)].sort((a, b) => a - b) };
    } else if (folder) {
      scope = { kind: 'folder', folder, subfolders: subfolders ?? false };
    } else {
      if (subfolders) throw new ApiError(422, 'bad-request', 'subfolders needs a folder');
      scope = { kind: 'account' };
    }
    return {
      account: call.account,
      day: day as DayLabel,
      scope,
      mode: mode ?? 'merge',
      requester: call.principal.kind === 'admin' ? { kind: 'admin', name: 'http admin token' } : { kind: 'account', account: call.principal.account },
      origin: 'http',
    };
  }

  const base = `${API_PREFIX}/accounts/:account`;
  const endpoints: Endpoint[] = [
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/days`),
      async handle({ res, account }) {
        const days = await new SnapshotWalk(catalog, account).days();
        sendJson(res, 200, { account, days: days.map(({ day, folders, messages, bytes }) => ({ day, folders, messages, bytes })) });
      },
    },
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/days/:day/folders`),
      async handle({ res, account, params }) {
        const walk = new SnapshotWalk(catalog, account);
        const folders = (await walking(async () => walk.folders(await walk.capture(params.day)))).records.map((folder) => ({
          name: folder.name,
          messages: folder.messages,
          bytes: folder.bytes,
          subscribed: folder.subscribed,
          specialUse: folder.specialUse,
          uidValidity: folder.uidValidity,
        }));
        sendJson(res, 200, { account, day: params.day, folders });
      },
    },
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/days/:day/folders/*folder/messages/:uid.eml`),
      async handle(call) {
        const { account, params } = call;
        if (!/^\d{1,10}$/.test(params.uid)) throw new ApiError(400, 'bad-uid', `"${params.uid}" is not a UID`);
        const { folder, messages } = await folderOf(account, params.day, params.folder);
        const message = messages.find((candidate) => candidate.uid === Number(params.uid));
        if (!message) throw new ApiError(404, 'no-message', `there is no message with UID ${params.uid} in "${params.folder}" of ${params.day}`);
        if (!(await store.blobs.has(account, message.blobHash))) {
          logger.error({ account, day: params.day, folder: params.folder, uid: message.uid }, 'snapshot blob missing');
          throw new ApiError(500, 'blob-missing', 'the stored copy of this message is missing; an administrator should run mtm verify');
        }
        await ensureIntact(account, [message]);
        // Content-Length is the stored blob's exact size (what is streamed), from its ingest record.
        const size = (await catalog.blobStructure(account, message.blobHash))?.size ?? message.size;
        const leaf = leafName(folder.name);
        await streamDownload(call, {
          'content-type': 'message/rfc822',
          'content-length': size,
          'content-disposition': attachmentDisposition(`${leaf}-${params.day}-${message.uid}.eml`),
        }, () => emlStream(store, account, message));
      },
    },
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/days/:day/folders/*folder/messages`),
      async handle({ res, account, params, query }) {
        const { folder, messages } = await folderOf(account, params.day, params.folder);
        const offset = pageNumber(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
        const limit = pageNumber(query, 'limit', DEFAULT_PAGE, MAX_PAGE);
        const page = messages.slice(offset, offset + limit);
        const summaries = [];
        for (const message of page) {
          const structure = await catalog.blobStructure(account, message.blobHash);
          summaries.push(summarizeMessage(message, structure?.root.envelope));
        }
        sendJson(res, 200, { account, day: params.day, folder: folder.name, total: messages.length, offset, messages: summaries });
      },
    },
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/days/:day/folders/*folder.mbox`),
      async handle(call) {
        const { account, params, query } = call;
        const { folder, messages } = await folderOf(account, params.day, params.folder);
        let chosen = messages;
        const uidSet = query.get('uids');
        if (uidSet) {
          let wanted: Set<number>;
          try {
            wanted = new Set(resolveUidSet(uidSet, messages.map((message) => message.uid)));
          } catch (error) {
            throw new ApiError(400, 'bad-uids', (error as Error).message);
          }
          chosen = messages.filter((message) => wanted.has(message.uid));
        }
        await ensureIntact(account, chosen);
        const leaf = leafName(folder.name);
        await streamDownload(call, {
          'content-type': 'application/mbox',
          'content-disposition': attachmentDisposition(`${leaf}-${params.day}.mbox`),
          'x-mtm-messages': chosen.length,
        }, () => mboxStream(store, account, chosen));
      },
    },
    {
      method: 'POST',
      pattern: new PathPattern(`${base}/restores/preview`),
      async handle(call) {
        const request = restoreRequest(call, await readJsonBody(call.req, MAX_BODY_BYTES));
        const outcome = await recovery.preview(request);
        if (!outcome.ok) throw denialError(outcome.denial.code, outcome.denial.reason, { advice: outcome.denial.advice });
        sendJson(call.res, 200, { account: call.account, day: request.day, scope: request.scope, mode: request.mode, preview: outcome.preview });
      },
    },
    {
      method: 'POST',
      pattern: new PathPattern(`${base}/restores`),
      async handle(call) {
        const request = restoreRequest(call, await readJsonBody(call.req, MAX_BODY_BYTES));
        const decision = await recovery.submit(request);
        if (!decision.accepted) {
          const { denial, jobId, notified, alreadyNotified } = decision;
          throw denialError(denial.code, denial.reason, { advice: denial.advice, jobId, notified, ...(alreadyNotified && { alreadyNotified }) });
        }
        const statusUrl = `${API_PREFIX}/accounts/${encodeURIComponent(call.account)}/restores/${decision.jobId}`;
        call.res.setHeader('location', statusUrl);
        sendJson(call.res, 202, { accepted: true, jobId: decision.jobId, status: 'queued', statusUrl, preview: decision.preview });
      },
    },
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/restores`),
      async handle({ res, account }) {
        sendJson(res, 200, { account, restores: (await recovery.jobs.list(account)).map(jobView) });
      },
    },
    {
      method: 'GET',
      pattern: new PathPattern(`${base}/restores/:id`),
      async handle({ res, account, params }) {
        const job = await recovery.job(params.id);
        // Another account's job id answers exactly like an unknown one.
        if (!job || job.account !== account) throw new ApiError(404, 'no-restore', `there is no restore ${params.id} for ${account}`);
        sendJson(res, 200, jobView(job));
      },
    },
  ];

  const dispatch: HttpRoute = async (req, res) => {
    const target = requestTarget(req);
    if (target.path !== API_PREFIX && !target.path.startsWith(`${API_PREFIX}/`)) return false;
    let account: string | undefined;
    try {
      const matching = endpoints.map((endpoint) => ({ endpoint, params: endpoint.pattern.match(target.segments) })).filter((m) => m.params !== null);
      if (matching.length === 0) throw new ApiError(404, 'not-found', `no such API path: ${target.path} (see docs/http-api.md)`);
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const chosen = matching.find((m) => m.endpoint.method === method);
      if (!chosen) {
        const allow = [...new Set(matching.map((m) => m.endpoint.method))].join(', ');
        throw new ApiError(405, 'method-not-allowed', `${req.method} is not allowed here; use ${allow}`, { allow });
      }
      const params = chosen.params!;
      const sessionAccount = (await options.sessions?.accountFor(req)) ?? null;
      const principal: Principal = sessionAccount !== null ? { kind: 'account', account: sessionAccount } : await authenticate(req, config, loginService);
      account = params.account;
      // Checked before anything of the account is read: a refusal reveals nothing about it.
      if (!mayActFor(principal, account)) {
        logger.warn({ account, signedInAs: principal.kind === 'account' ? principal.account : 'admin', path: target.path }, 'HTTP API: access to another account refused');
        throw new ApiError(403, 'forbidden', 'you can only reach your own mailbox');
      }
      await chosen.endpoint.handle({ req, res, params, query: target.query, principal, account });
      logger.debug({ method: req.method, path: target.path, account, status: res.statusCode }, 'HTTP API request');
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'internal', 'something went wrong on the server; try again, or tell the administrator');
      if (!(error instanceof ApiError)) logger.error({ method: req.method, path: target.path, account, error: (error as Error).message }, 'HTTP API request failed');
      else if (apiError.status === 401 || apiError.status === 429) logger.info({ path: target.path, remoteAddress: req.socket.remoteAddress, code: apiError.code }, 'HTTP API sign-in refused');
      if (res.headersSent) res.destroy();
      else sendError(res, apiError);
    }
    return true;
  };
  return [dispatch];
}

function denialError(code: DenialCode, reason: string, extra: Record<string, unknown>): ApiError {
  return new ApiError(DENIAL_STATUS[code], code, reason, {}, extra);
}

function pageNumber(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw new ApiError(400, 'bad-query', `${name} must be a whole number`);
  return Math.min(Number(text), max);
}

/** A job as the API shows it: the request's what and where, progress, and outcome. */
function jobView(job: RestoreJob): Record<string, unknown> {
  const { request, progress } = job;
  return {
    id: job.id,
    account: job.account,
    status: job.status,
    day: request.day,
    scope: request.scope,
    mode: request.mode,
    origin: request.origin,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    progress: { ...progress, percent: progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : job.status === 'done' ? 100 : 0 },
    preview: job.preview ?? null,
    result: job.result ?? null,
    reason: job.reason ?? null,
  };
}
