/**
 * Checks a user's password by logging in to the live IMAP server (imapflow: connect, ID, LOGIN or
 * AUTHENTICATE PLAIN as the server offers, LOGOUT). The answer separates "the server said no"
 * from "we could not ask", because only the first may count as a failed password.
 */
import { isIP } from 'node:net';
import { ImapFlow } from 'imapflow';
import { plainAddress } from '../client-address.js';
import { imapTransportOptions } from './transport.js';

/** How we reach the live server. `tls: none` never upgrades, `starttls` insists on the upgrade. */
export interface LiveServer {
  host: string;
  port: number;
  tls: 'none' | 'starttls' | 'implicit';
  /** Verify the server certificate (default true); false only for self-signed test servers. */
  rejectUnauthorized?: boolean;
  /** SNI / certificate name when `host` is an IP address. */
  servername?: string;
  /** Budget for the whole check, connect to LOGOUT (default 10 s). */
  timeoutMs?: number;
}

export type VerificationResult = 'ok' | 'rejected' | 'unavailable';

export interface Verification {
  result: VerificationResult;
  /** What happened, fit for logs: never contains the password. */
  detail: string;
}

/** Where the user whose password is checked connects from. */
export interface ClientOrigin {
  address: string;
  port?: number;
}

/**
 * The shape of the check, so the login service can be given a counting wrapper in tests. With a
 * `client`, the live server is told the user's address before the login (see originatingClient).
 */
export type VerifyPassword = (upstream: LiveServer, user: string, password: string, client?: ClientOrigin) => Promise<Verification>;

export const DEFAULT_VERIFY_TIMEOUT_MS = 10_000;

/**
 * Response codes (RFC 5530) with which a server refuses a login for reasons other than the
 * password: the password was not judged, so it must not count against the user.
 */
const TEMPORARY_REFUSALS = new Set(['UNAVAILABLE', 'SERVERBUG', 'LIMIT', 'INUSE']);

const MAX_DETAIL_LENGTH = 200;

/** The fields of an imapflow error we read; the error itself never leaves this module. */
interface ImapFlowFailure {
  code?: unknown;
  message?: unknown;
  response?: unknown;
  responseStatus?: unknown;
  serverResponseCode?: unknown;
  authenticationFailed?: unknown;
}

export async function verifyWithLiveServer(upstream: LiveServer, user: string, password: string, origin?: ClientOrigin): Promise<Verification> {
  // An empty password cannot be right, and imapflow would refuse to send it anyway.
  if (password === '') return { result: 'rejected', detail: 'empty password' };
  const timeoutMs = upstream.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const client = new ImapFlow({
    host: upstream.host,
    port: upstream.port,
    ...imapTransportOptions(upstream.tls, upstream.rejectUnauthorized ?? true, upstream.servername),
    auth: { user, pass: password },
    ...(origin && { clientInfo: originatingClient(origin) }),
    // imapflow's own log lines carry server text and command shapes; we log one line of our own.
    logger: false,
    // Logs out right after a successful authentication: connect() is the whole check.
    verifyOnly: true,
    disableAutoIdle: true,
    disableCompression: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  // imapflow also reports failures as 'error' events; without a listener they would crash us.
  client.on('error', () => undefined);

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Verification>((resolve) => {
    timer = setTimeout(() => {
      client.close();
      resolve({ result: 'unavailable', detail: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const attempt = client.connect().then(
    (): Verification => ({ result: 'ok', detail: 'live server accepted the login' }),
    (error: unknown): Verification => classifyFailure(error, [user, password]),
  );
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/**
 * The ID fields (RFC 2971) that name the user's own address and port, sent before LOGIN. Every
 * check comes from our one address, so a server that penalises addresses after failed logins
 * (Dovecot: up to 15 s per attempt) would otherwise slow down every user for one attacker's
 * guesses. Dovecot believes these fields only from `login_trusted_networks`, then penalises and
 * logs the real client; servers that do not know them ignore them.
 */
export function originatingClient(client: ClientOrigin): Record<string, string> {
  const address = plainAddress(client.address);
  // Only a well-formed address travels; anything else would be the client's text in our command.
  if (isIP(address) === 0) return {};
  const fields: Record<string, string> = { 'x-originating-ip': address };
  if (client.port !== undefined && Number.isInteger(client.port) && client.port > 0 && client.port < 65536) {
    fields['x-originating-port'] = String(client.port);
  }
  return fields;
}

function classifyFailure(error: unknown, secrets: [user: string, password: string]): Verification {
  const failure: ImapFlowFailure = typeof error === 'object' && error !== null ? (error as ImapFlowFailure) : {};
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const responseCode = typeof failure.serverResponseCode === 'string' ? failure.serverResponseCode.toUpperCase() : undefined;
  const serverText = typeof failure.response === 'string' ? failure.response : undefined;
  const message = typeof failure.message === 'string' ? failure.message : String(error);
  const detail = describe([code, responseCode && `[${responseCode}]`, serverText ?? message], secrets);
  // A refusal is a tagged NO/BAD from the server. imapflow also raises "authentication failures"
  // of its own (LOGINDISABLED, no usable mechanism) without asking the server: those are a
  // configuration problem, not a wrong password.
  const serverRefused = failure.responseStatus === 'NO' || failure.responseStatus === 'BAD' || serverText !== undefined;
  if (failure.authenticationFailed === true && serverRefused) {
    if (responseCode && TEMPORARY_REFUSALS.has(responseCode)) return { result: 'unavailable', detail };
    return { result: 'rejected', detail };
  }
  return { result: 'unavailable', detail };
}

/**
 * Joins the parts into one log-safe line. Server text is echoed by some servers with what the
 * client sent, so every form in which the password travelled is masked, not only the plain one.
 */
function describe(parts: Array<string | undefined>, [user, password]: [string, string]): string {
  let text = parts.filter((part): part is string => Boolean(part)).join(' ');
  const forms = [
    password,
    base64(password),
    base64(`\0${user}\0${password}`),
    base64(`${user}\0${user}\0${password}`),
  ].sort((a, b) => b.length - a.length);
  for (const form of forms) text = text.split(form).join('***');
  text = text.replace(/[\x00-\x1f\x7f]+/g, ' ');
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
