/**
 * The few pieces of HTTP the recovery API needs and node:http does not give: path patterns with
 * parameters (a folder name may span several "/"-separated segments), JSON errors of one shape
 * `{ error, message }`, and a bounded JSON request body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './server.js';

/** An answer that is not a success: HTTP status, a stable machine code, and words for the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendError(res: ServerResponse, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  sendJson(res, error.status, { error: error.code, message: error.message, ...error.extra });
}

export type PathParams = Record<string, string>;

/**
 * A path pattern, segment by segment: `literal`, `:name` (one segment), `:name.ext` (one segment
 * ending in `.ext`), `*name` or `*name.ext` (one or more segments, joined with "/"; at most one per
 * pattern). Each segment is percent-decoded on its own, so `Archive%2F2025` and `Archive/2025` are
 * the same folder.
 */
export class PathPattern {
  private readonly head: string[];
  private readonly rest: string | null;
  private readonly tail: string[];

  constructor(readonly pattern: string) {
    const segments = pattern.split('/').filter(Boolean);
    const star = segments.findIndex((segment) => segment.startsWith('*'));
    this.head = star === -1 ? segments : segments.slice(0, star);
    this.rest = star === -1 ? null : segments[star];
    this.tail = star === -1 ? [] : segments.slice(star + 1);
  }

  /** Parameters when the raw (still encoded) segments fit; throws ApiError 400 on bad encoding. */
  match(segments: string[]): PathParams | null {
    const params: PathParams = {};
    if (this.rest === null) {
      if (segments.length !== this.head.length) return null;
      return this.head.every((part, index) => bindSegment(part, segments[index], params)) ? params : null;
    }
    if (segments.length < this.head.length + this.tail.length + 1) return null;
    if (!this.head.every((part, index) => bindSegment(part, segments[index], params))) return null;
    const tailStart = segments.length - this.tail.length;
    if (!this.tail.every((part, index) => bindSegment(part, segments[tailStart + index], params))) return null;
    const middle = segments.slice(this.head.length, tailStart);
    const { name, suffix } = splitParam(this.rest.slice(1));
    const last = middle[middle.length - 1];
    if (suffix && !(last.endsWith(suffix) && last.length > suffix.length)) return null;
    if (suffix) middle[middle.length - 1] = last.slice(0, -suffix.length);
    params[name] = middle.map(decodeSegment).join('/');
    return params;
  }
}

function splitParam(spec: string): { name: string; suffix: string } {
  const dot = spec.indexOf('.');
  return dot === -1 ? { name: spec, suffix: '' } : { name: spec.slice(0, dot), suffix: spec.slice(dot) };
}

function bindSegment(part: string, segment: string, params: PathParams): boolean {
  if (!part.startsWith(':')) return part === segment;
  const { name, suffix } = splitParam(part.slice(1));
  if (suffix && !(segment.endsWith(suffix) && segment.length > suffix.length)) return false;
  params[name] = decodeSegment(suffix ? segment.slice(0, -suffix.length) : segment);
  return true;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, 'bad-path', `"${segment}" is not a valid percent-encoded path segment`);
  }
}

/** Raw segments of the request path, and its query. */
export function requestTarget(req: IncomingMessage): { segments: string[]; query: URLSearchParams; path: string } {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return { segments: url.pathname.split('/').filter(Boolean), query: url.searchParams, path: url.pathname };
}

/** The request body as JSON, at most `limit` bytes; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type && !/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported-media-type', 'send the request body as application/json');
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) throw new ApiError(413, 'body-too-large', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'bad-json', 'the request body is not valid JSON');
  }
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 8187). */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
