/**
 * What the web interface needs from the HTTP API beyond docs/http-api.md's first version: signing
 * in to a session (`/api/v1/session`), the day list with what appeared/disappeared
 * (`/timeline`), a sorted and searched message list (`…/messages?sort=…&q=…`, through the IMAP
 * server's own SORT and SEARCH engines), one message for reading (`…/messages/{uid}`) and its parts,
 * and "what changed" (`…/changes`: the day's messages the live mailbox no longer holds).
 *
 * These routes are tried before the recovery API's and answer only their own paths. Every account
 * path is checked the same way: the caller (session cookie, else HTTP Basic / admin token) must be
 * that account or the administrator, before anything of the account is read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { UpstreamSettings } from '../../config/settings.js';
import type { LoginService, OpenMailbox, SnapshotView } from '../../proxy/index.js';
import { runSort, type SearchKey, type SearchProgram, type SortCriterion } from '../../proxy/search/index.js';
import { authenticate, mayActFor, type Principal, type SignInSettings } from '../authenticate.js';
import { summarizeMessage } from '../message-summary.js';
import { ApiError, attachmentDisposition, PathPattern, readJsonBody, requestTarget, sendError, type PathParams } from '../router.js';
import { isDayLabel } from '../../snapshots/day-label.js';
import type { MimePart } from '../../mail/structure.js';
import type { Store } from '../../snapshots/store/store.js';
import { LRUCache } from 'lru-cache';
import { upstreamConnector, type AccountSettings } from '../../upstream/index.js';
import { snapshotViewFactory, SNAPSHOTS_ROOT } from '../../snapshots/view/index.js';
import { sendJson, type HttpRoute } from '../server.js';
import { dayTimeline } from './timeline.js';
import { whatChanged } from './what-changed.js';
import { decodedPart, findPart, messageView, partFilename, partType } from './message-view.js';
import { isTls, type WebSessions } from './sessions.js';

/** What the web interface reads of the configuration: the sign-in rules, and how to reach the live server for "what changed". */
export interface WebSettings extends SignInSettings {
  upstream: UpstreamSettings;
  snapshot: AccountSettings;
}

export interface WebApiOptions {
  config: WebSettings;
  store: Store;
  loginService: LoginService;
  sessions: WebSessions;
  logger: Logger;
}

const SORT_KEYS: Record<string, SortCriterion['key']> = { date: 'DATE', arrival: 'ARRIVAL', sender: 'FROM', subject: 'SUBJECT', size: 'SIZE' };
const MAX_QUERY_CHARS = 200;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** Messages larger than this are not read whole for the reading view; the .eml download has them. */
const MAX_VIEW_BYTES = 25 * 1024 * 1024;
/** Part types a browser may be given as themselves (for `cid:` images); everything else is octet-stream. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  params: PathParams;
  query: URLSearchParams;
  account: string;
}

interface Endpoint {
  pattern: PathPattern;
  /** Declines (false) when the request is the recovery API's to answer. */
  wants?(call: Pick<Call, 'params' | 'query'>): boolean;
  handle(call: Call): Promise<void>;
}

/** The folder in the snapshot view's namespace (DESIGN §5): `Snapshots/<day>/<folder>`. */
async function openFolder(view: SnapshotView, day: string, folder: string): Promise<OpenMailbox> {
  if (!isDayLabel(day)) throw new ApiError(400, 'bad-day', 'not a day: write it YYYY-MM-DD');
  const mailbox = await view.openMailbox(`${SNAPSHOTS_ROOT}/${day}/${folder}`);
  if (!mailbox) throw new ApiError(404, 'no-folder', `there is no folder "${folder}" in the snapshot of ${day}`);
  return mailbox;
}

function pageNumber(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw new ApiError(400, 'bad-query', `${name} must be a whole number`);
  return Math.min(Number(text), max);
}

/** "Sender, subject or body contains": the SEARCH program `OR OR FROM q SUBJECT q BODY q`. */
function searchProgram(text: string | null): SearchProgram {
  let key: SearchKey = { kind: 'all' };
  if (text) {
    key = {
      kind: 'or',
      left: { kind: 'or', left: { kind: 'header', field: 'FROM', value: text, match: 'address' }, right: { kind: 'header', field: 'SUBJECT', value: text, match: 'plain' } },
      right: { kind: 'text', scope: 'body', value: text },
    };
  }
  return { key, charset: 'UTF-8', uid: true, returnOptions: null };
}

function hasAttachment(parts: MimePart): boolean {
  const walk = (part: MimePart): boolean =>
    (part.disposition ?? '').toLowerCase() === 'attachment' || part.kind === 'message' || part.children.some(walk);
  return walk(parts);
}

export function webApiRoutes(options: WebApiOptions): HttpRoute[] {
  const { config, store, loginService, sessions, logger } = options;
  const views = snapshotViewFactory(store);
  const upstream = upstreamConnector(config.upstream, config.snapshot);
  // Bounded by bytes: every user's sorted folder orders share ~64 MiB, the least recently used go first.
  const sortCache = new LRUCache<string, number[]>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (order) => 64 + order.length * 8 });

  async function viewOf(account: string): Promise<SnapshotView> {
    const view = await views(account, null);
    if (!view) throw new ApiError(404, 'no-snapshot', `there is no snapshot of ${account}`);
    return view;
  }

  /** Sequence numbers in the asked order, remembered for the next pages (a snapshot never changes). */
  async function sortedSequences(account: string, day: string, mailbox: OpenMailbox, criterion: SortCriterion, text: string | null): Promise<number[]> {
    const key = JSON.stringify([account, day, mailbox.name, mailbox.uidValidity, criterion, text]);
    const known = sortCache.get(key);
    if (known) return known;
    const order = await runSort([criterion], 'UTF-8', searchProgram(text), mailbox);
    sortCache.set(key, order);
    return order;
  }

  const base = '/api/v1/accounts/:account';
  const folderBase = `${base}/days/:day/folders/*folder`;
  const endpoints: Endpoint[] = [
    {
      pattern: new PathPattern(`${base}/timeline`),
      async handle({ res, account }) {
        sendJson(res, 200, { account, days: await dayTimeline(store, account) });
      },
    },
    {
      pattern: new PathPattern(`${folderBase}/messages`),
      // Without sort or q this is the recovery API's plain listing in UID order.
      wants: ({ query }) => query.has('sort') || query.has('q'),
      async handle({ res, account, params, query }) {
        const sortName = query.get('sort') ?? 'date';
        const sortKey = SORT_KEYS[sortName];
        if (!sortKey) throw new ApiError(400, 'bad-query', `sort must be one of ${Object.keys(SORT_KEYS).join(', ')}`);
        const order = query.get('order') ?? (sortName === 'date' || sortName === 'arrival' || sortName === 'size' ? 'desc' : 'asc');
        if (order !== 'asc' && order !== 'desc') throw new ApiError(400, 'bad-query', 'order must be asc or desc');
        const text = (query.get('q') ?? '').trim();
        if (text.length > MAX_QUERY_CHARS) throw new ApiError(400, 'bad-query', `the search text is longer than ${MAX_QUERY_CHARS} characters`);
        const offset = pageNumber(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
        const limit = pageNumber(query, 'limit', DEFAULT_PAGE, MAX_PAGE);
        const mailbox = await openFolder(await viewOf(account), params.day, params.folder);
        const sequences = await sortedSequences(account, params.day, mailbox, { key: sortKey, reverse: order === 'desc' }, text || null);
        const messages = [];
        for (const sequence of sequences.slice(offset, offset + limit)) {
          const ref = mailbox.messages[sequence - 1];
          const structure = await mailbox.structure(ref);
          messages.push({ ...summarizeMessage(ref, structure.root.envelope), attachment: hasAttachment(structure.root) });
        }
        sendJson(res, 200, { account, day: params.day, folder: params.folder, sort: sortName, order, q: text || null, total: sequences.length, offset, messages });
      },
    },
    {
      pattern: new PathPattern(`${folderBase}/messages/:uid`),
      wants: ({ params }) => /^\d{1,10}$/.test(params.uid),
      async handle({ res, account, params }) {
        const mailbox = await openFolder(await viewOf(account), params.day, params.folder);
        const ref = mailbox.messages.find((message) => message.uid === Number(params.uid));
        if (!ref) throw new ApiError(404, 'no-message', `there is no message with UID ${params.uid} in "${params.folder}" of ${params.day}`);
        const structure = await mailbox.structure(ref);
        if (ref.size > MAX_VIEW_BYTES) {
          sendJson(res, 200, { tooLarge: true, summary: summarizeMessage(ref, structure.root.envelope), to: [], cc: [], replyTo: [], messageId: null, text: null, html: null, truncated: true, parts: [] });
          return;
        }
        sendJson(res, 200, messageView(ref, structure, await mailbox.readAll(ref)));
      },
    },
    {
      pattern: new PathPattern(`${folderBase}/messages/:uid/parts/:part`),
      wants: ({ params }) => /^\d{1,10}$/.test(params.uid),
      async handle({ req, res, account, params, query }) {
        if (!/^\d{1,4}(\.\d{1,4}){0,20}$/.test(params.part)) throw new ApiError(400, 'bad-path', 'a part is numbered like 1 or 2.1');
        const mailbox = await openFolder(await viewOf(account), params.day, params.folder);
        const ref = mailbox.messages.find((message) => message.uid === Number(params.uid));
        if (!ref) throw new ApiError(404, 'no-message', `there is no message with UID ${params.uid} in "${params.folder}" of ${params.day}`);
        const structure = await mailbox.structure(ref);
        const part = findPart(structure, params.part);
        if (!part) throw new ApiError(404, 'no-part', `message ${params.uid} has no part ${params.part}`);
        const raw = await mailbox.readAll(ref);
        const body = part.kind === 'message' ? raw.subarray(part.bodyStart, part.bodyEnd) : decodedPart(raw, part);
        const type = partType(part);
        const inline = query.get('inline') === '1' && INLINE_TYPES.has(type);
        res.writeHead(200, {
          'content-type': inline ? type : part.kind === 'message' ? 'message/rfc822' : 'application/octet-stream',
          'content-length': body.length,
          'content-disposition': inline ? 'inline' : attachmentDisposition(partFilename(part, params.part)),
          'content-security-policy': "default-src 'none'; sandbox",
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
    },
    {
      pattern: new PathPattern(`${folderBase}/changes`),
      async handle({ res, account, params }) {
        if (!isDayLabel(params.day)) throw new ApiError(400, 'bad-day', 'not a day: write it YYYY-MM-DD');
        sendJson(res, 200, await whatChanged({ upstream, store, logger }, account, params.day, params.folder));
      },
    },
  ];

  async function principalOf(req: IncomingMessage): Promise<Principal> {
    const account = await sessions.accountFor(req);
    return account !== null ? { kind: 'account', account } : authenticate(req, config, loginService);
  }

  async function sessionRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const session = await sessions.current(req);
      if (!session) throw new ApiError(401, 'signed-out', 'not signed in');
      sendJson(res, 200, { account: session.account, csrfToken: session.csrfToken });
      return;
    }
    if (req.method === 'DELETE') {
      // Checks the CSRF token: another site must not be able to sign the user out either.
      await sessions.accountFor(req);
      const session = await sessions.current(req);
      if (session) await sessions.end(session);
      res.setHeader('set-cookie', sessions.cookie(req, null));
      res.writeHead(204, { 'cache-control': 'no-store' }).end();
      return;
    }
    if (req.method !== 'POST') throw new ApiError(405, 'method-not-allowed', `${req.method} is not allowed here; use GET, POST, DELETE`, { allow: 'GET, POST, DELETE' });
    if (!isTls(req) && !config.server.allowPlaintextAuth) {
      throw new ApiError(403, 'tls-required', 'sign-in over an unencrypted connection is disabled on this server; use https');
    }
    const body = (await readJsonBody(req, 4096)) as { username?: unknown; password?: unknown };
    if (typeof body.username !== 'string' || typeof body.password !== 'string' || body.username === '' || body.password === '') {
      throw new ApiError(400, 'bad-request', 'give a username and a password');
    }
    const result = await loginService.login(body.username, body.password, req.socket.remoteAddress ?? '', req.socket.remotePort);
    if (!result.ok) {
      logger.info({ remoteAddress: req.socket.remoteAddress, code: result.code }, 'web sign-in refused');
      if (result.code === 'LIMIT') throw new ApiError(429, 'too-many-failures', result.text, { 'retry-after': '60' });
      if (result.code === 'UNAVAILABLE') throw new ApiError(503, 'unavailable', result.text, { 'retry-after': '60' });
      throw new ApiError(401, 'unauthorized', result.text);
    }
    const session = await sessions.create(result.account);
    res.setHeader('set-cookie', sessions.cookie(req, session));
    logger.info({ account: result.account }, 'web sign-in');
    sendJson(res, 200, { account: session.account, csrfToken: session.csrfToken });
  }

  const dispatch: HttpRoute = async (req, res) => {
    const target = requestTarget(req);
    try {
      if (target.path === '/api/v1/session') {
        await sessionRoute(req, res);
        return true;
      }
      if (!target.path.startsWith('/api/v1/accounts/')) return false;
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      for (const endpoint of endpoints) {
        const params = endpoint.pattern.match(target.segments);
        if (!params || (endpoint.wants && !endpoint.wants({ params, query: target.query }))) continue;
        if (method !== 'GET') throw new ApiError(405, 'method-not-allowed', `${req.method} is not allowed here; use GET`, { allow: 'GET' });
        const principal = await principalOf(req);
        // Checked before anything of the account is read: a refusal reveals nothing about it.
        if (!mayActFor(principal, params.account)) {
          logger.warn({ account: params.account, path: target.path }, 'web API: access to another account refused');
          throw new ApiError(403, 'forbidden', 'you can only reach your own mailbox');
        }
        await endpoint.handle({ req, res, params, query: target.query, account: params.account });
        return true;
      }
      return false;
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'internal', 'something went wrong on the server; try again, or tell the administrator');
      if (!(error instanceof ApiError)) logger.error({ method: req.method, path: target.path, error: (error as Error).message }, 'web API request failed');
      if (res.headersSent) res.destroy();
      else sendError(res, apiError);
      return true;
    }
  };
  return [dispatch];
}

