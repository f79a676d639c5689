/**
 * Connections to the live IMAP server for snapshots: master-user impersonation (SASL PLAIN with
 * authzid) or the account's own password. Errors name the account and the cause, never a password.
 */
import { ImapFlow } from 'imapflow';
import type { Config } from '../../config/schema.js';
import { imapTransportOptions } from '../../config/upstream-transport.js';

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'unavailable' | 'authentication' | 'protocol',
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export type AccountCredentials = { mode: 'master'; masterUser: string; masterPassword: string } | { mode: 'password'; password: string };

export function imapClientOptions(upstream: Config['upstream'], user: string, credentials: AccountCredentials) {
  const auth =
    credentials.mode === 'master'
      ? { user: credentials.masterUser, pass: credentials.masterPassword, loginMethod: 'AUTH=PLAIN', authzid: user }
      : { user, pass: credentials.password };
  return {
    host: upstream.host,
    port: upstream.port,
    ...imapTransportOptions(upstream.tls, upstream.rejectUnauthorized),
    auth,
    logger: false as const,
    connectionTimeout: upstream.timeoutSeconds * 1000,
    greetingTimeout: upstream.timeoutSeconds * 1000,
    // Every read: a server that stops answering a command in flight fails it after this much
    // silence. imapflow does not count time our side spends on a response (storing bodies), so a
    // slow disk is not mistaken for a stuck server.
    socketTimeout: upstream.timeoutSeconds * 1000,
    disableAutoIdle: true,
    emitLogs: false,
  };
}

/** Turns imapflow's errors into a sentence a user can act on. */
export function describeUpstreamError(error: unknown, upstream: Config['upstream'], account: string): UpstreamError {
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

/** What imapflow reported on a connection ('error' event): the cause behind a command's "connection lost". */
const connectionFailures = new WeakMap<ImapFlow, unknown>();

/**
 * Like describeUpstreamError, for a command that failed on `client`: when the connection itself
 * failed first (a timeout, a reset), the command only says "connection lost"; the cause is reported.
 */
export function describeClientError(client: ImapFlow, error: unknown, upstream: Config['upstream'], account: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  return describeUpstreamError(connectionFailures.get(client) ?? error, upstream, account);
}

export async function connectUpstream(upstream: Config['upstream'], user: string, credentials: AccountCredentials): Promise<ImapFlow> {
  const client = new ImapFlow(imapClientOptions(upstream, user, credentials) as ConstructorParameters<typeof ImapFlow>[0]);
  // imapflow emits 'error' on socket trouble after connect; the pending command rejects too, with
  // a vaguer error.
  client.on('error', (error: unknown) => {
    if (!connectionFailures.has(client)) connectionFailures.set(client, error);
  });
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw describeUpstreamError(error, upstream, user);
  }
  return client;
}
