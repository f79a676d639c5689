/**
 * Who is asking: an account, by HTTP Basic with its ordinary mail credentials (checked by the same
 * LoginService as IMAP logins, so the success cache and failure limits are shared), or an
 * administrator, by the bearer token `recovery.adminToken`. Credentials travel only over TLS unless
 * `server.allowPlaintextAuth` is set, as on the IMAP side. Nothing here logs a password or token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RecoverySettings, ServerSettings } from '../config/settings.js';
import type { LoginService } from '../proxy/index.js';
import { ApiError } from './router.js';

export type Principal = { kind: 'account'; account: string } | { kind: 'admin' };

export const REALM = 'Mail Time Machine';
const CHALLENGE = { 'www-authenticate': `Basic realm="${REALM}", charset="UTF-8"` };

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, CHALLENGE);
}

function isTls(req: IncomingMessage): boolean {
  return Boolean((req.socket as Partial<TLSSocket>).encrypted);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** What sign-in reads: whether plaintext sign-in is allowed, and the administrator's token. */
export interface SignInSettings {
  server: Pick<ServerSettings, 'allowPlaintextAuth'>;
  recovery: Pick<RecoverySettings, 'adminToken'>;
}

export async function authenticate(req: IncomingMessage, config: SignInSettings, loginService: LoginService): Promise<Principal> {
  // Refuse before any challenge: a 401 would invite the client to send the password in clear.
  if (!isTls(req) && !config.server.allowPlaintextAuth) {
    throw new ApiError(403, 'tls-required', 'sign-in over an unencrypted connection is disabled on this server; use https');
  }
  const header = req.headers.authorization ?? '';
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);

  if (scheme.toLowerCase() === 'bearer') {
    const token = config.recovery.adminToken;
    if (!token || !sameSecret(value, token)) throw unauthorized('the bearer token is not valid');
    return { kind: 'admin' };
  }
  if (scheme.toLowerCase() !== 'basic') throw unauthorized('sign in with your mail address (or user name) and password');

  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw unauthorized('the credentials are not in the form user:password');
  const result = await loginService.login(decoded.slice(0, colon), decoded.slice(colon + 1), req.socket.remoteAddress ?? '', req.socket.remotePort);
  if (result.ok) return { kind: 'account', account: result.account };
  switch (result.code) {
    case 'UNAVAILABLE':
      throw new ApiError(503, 'unavailable', result.text, { 'retry-after': '60' });
    case 'LIMIT':
      throw new ApiError(429, 'too-many-failures', result.text, { 'retry-after': '60' });
    default:
      throw unauthorized(result.text);
  }
}

/** The principal may act for `account`: itself, or anyone when administrator. */
export function mayActFor(principal: Principal, account: string): boolean {
  return principal.kind === 'admin' || principal.account === account;
}
