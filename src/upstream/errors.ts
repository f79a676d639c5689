/** Failures of the live server, as sentences that name the account and the cause, never a password. */
import type { UpstreamSettings } from '../config/settings.js';

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'unavailable' | 'authentication' | 'protocol',
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** Turns the IMAP client's errors into a sentence a user can act on. */
export function describeUpstreamError(error: unknown, upstream: Pick<UpstreamSettings, 'host' | 'port' | 'timeoutSeconds'>, account: string): UpstreamError {
  const failure = error as { code?: string; authenticationFailed?: boolean; responseText?: string; message?: string };
  const where = `${upstream.host}:${upstream.port}`;
  if (failure?.authenticationFailed || failure?.code === 'AUTHENTICATIONFAILED' || /authentication/i.test(failure?.message ?? '')) {
    return new UpstreamError(`${account}: the live server ${where} refused the login (check snapshot.auth credentials)`, 'authentication');
  }
  const network: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ETIMEDOUT: 'connection timed out',
    ENOTFOUND: 'host not found',
    EHOSTUNREACH: 'host unreachable',
    ECONNRESET: 'connection reset',
    CONNECT_TIMEOUT: 'connection timed out',
    GREETING_TIMEOUT: 'no greeting from the server',
    NoConnection: 'connection lost',
    EConnectionClosed: 'connection closed',
  };
  if (failure?.code === 'ETIMEOUT') {
    return new UpstreamError(`${account}: the live server ${where} timed out (no answer for ${upstream.timeoutSeconds} s, upstream.timeoutSeconds)`, 'unavailable');
  }
  const reason = (failure?.code && network[failure.code]) || undefined;
  if (reason) return new UpstreamError(`${account}: cannot reach the live server ${where} (${reason})`, 'unavailable');
  const text = (failure?.responseText ?? failure?.message ?? String(error)).slice(0, 200);
  return new UpstreamError(`${account}: the live server ${where} failed: ${text}`, 'protocol');
}
