/**
 * The IMAP listeners: plain (with STARTTLS when a certificate is configured) and implicit TLS.
 * Owns connection bookkeeping — connections per client and in all, the shutdown path — and hands
 * each connection to a Session. Storage and authentication come in through the LoginService only.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ConnectionLimits, type Admission, type ConnectionAdmission } from './connection-limits.js';
import { dispatch } from './dispatcher.js';
import type { LoginService } from './ports.js';
import { unobserved, type ServingObserver } from './observer.js';
import { Session, type SessionSettings } from './session.js';

export interface ImapServerOptions {
  host: string;
  /** 0 picks a free port (tests); `listen()` reports the real one. */
  port: number;
  /** PEM text or a path to a PEM file, for each of key and cert. Enables STARTTLS and, with `port`, implicit TLS. */
  tls?: { key: string | Buffer; cert: string | Buffer; port?: number };
  allowPlaintextAuth?: boolean;
  maxLineBytes?: number;
  maxLiteralBytes?: number;
  idleTimeoutSeconds?: number;
  /** Interval of the IDLE keep-alive line (default 120 s). */
  idleKeepAliveSeconds?: number;
  /** Connections of one client: one IPv4 address or one IPv6 /64 (default 50). */
  maxConnectionsPerIp?: number;
  /** Connections of all clients together (default 5000). */
  maxConnections?: number;
  /** Time a connection has from its start to a completed login (default 60 s). */
  preAuthTimeoutSeconds?: number;
  /** Who counts connections, instead of limits of this server alone from the two maxima (src/cluster). */
  connectionAdmission?: ConnectionAdmission;
  loginService: LoginService;
  logger: Logger;
  /** Told of connections, commands and bytes sent (metrics); nothing by default. */
  observer?: ServingObserver;
}

export interface ImapServer {
  /** Starts listening; resolves with the bound ports. */
  listen(): Promise<{ port: number; tlsPort?: number }>;
  /** Stops accepting, sends `* BYE` to every open session and resolves when all are gone. */
  close(): Promise<void>;
  /** Number of open sessions (health, metrics, tests). */
  connectionCount(): number;
}

function pem(value: string | Buffer): string | Buffer {
  if (Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  return readFileSync(value);
}

export function createImapServer(options: ImapServerOptions): ImapServer {
  const logger = options.logger;
  const observer = options.observer ?? unobserved;
  const tlsOptions = options.tls ? { key: pem(options.tls.key), cert: pem(options.tls.cert) } : null;
  const settings: SessionSettings = {
    loginService: options.loginService,
    logger,
    allowPlaintextAuth: options.allowPlaintextAuth ?? false,
    tlsContext: tlsOptions ? tls.createSecureContext(tlsOptions) : null,
    maxLineBytes: options.maxLineBytes ?? 65_536,
    maxLiteralBytes: options.maxLiteralBytes ?? 65_536,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? 1800,
    idleKeepAliveSeconds: options.idleKeepAliveSeconds ?? 120,
    preAuthTimeoutSeconds: options.preAuthTimeoutSeconds ?? 60,
    observer,
    dispatch,
  };
  const limits = options.connectionAdmission ?? new ConnectionLimits(options.maxConnectionsPerIp ?? 50, options.maxConnections ?? 5000);
  const sessions = new Set<Session>();
  // Ids stay unique across restarts and between instances sharing one log store.
  const instanceTag = randomBytes(3).toString('hex');
  let nextId = 1;
  let closing = false;

  function accept(socket: Socket | TLSSocket, secure: boolean): void {
    const id = `${instanceTag}-${nextId++}`;
    const ip = socket.remoteAddress ?? 'unknown';
    const refuse = (text: string, level: 'info' | 'warn'): void => {
      const log = logger.child({ session: id, remote: ip });
      socket.on('error', (error) => log.debug({ err: error }, 'connection error'));
      log[level]({ reason: text }, 'connection refused');
      socket.end(`* BYE ${text}\r\n`);
      // Half-open sockets are allowed: a peer that never closes its side must not keep this one.
      setTimeout(() => socket.destroy(), 5000).unref();
    };
    if (closing) return refuse('Server shutting down', 'info');
    const asked = limits.admit(ip);
    if (!(asked instanceof Promise)) return admitted(socket, secure, id, ip, asked, refuse);
    // Asked over IPC: until the answer comes, a reset of the socket must not go unheard.
    const earlyError = (): void => undefined;
    socket.on('error', earlyError);
    void asked.then(
      (admission) => {
        socket.off('error', earlyError);
        if (closing) {
          if (admission.admitted) limits.release(admission.client);
          return refuse('Server shutting down', 'info');
        }
        admitted(socket, secure, id, ip, admission, refuse);
      },
      (error: Error) => {
        socket.off('error', earlyError);
        logger.warn({ err: error, remote: ip }, 'connection limits not answering');
        refuse('Server busy; try again in a few minutes', 'warn');
      },
    );
  }

  function admitted(socket: Socket | TLSSocket, secure: boolean, id: string, ip: string, admission: Admission, refuse: (text: string, level: 'info' | 'warn') => void): void {
    if (!admission.admitted) {
      return admission.reason === 'total'
        ? refuse('Server busy: too many connections; try again in a few minutes', 'warn')
        : refuse('Too many connections from your address; close some and try again', 'warn');
    }
    socket.setNoDelay(true);
    // IDLE sessions are never auto-logged-out; TCP keep-alive notices peers that vanished.
    socket.setKeepAlive(true, 60_000);
    // The Session attaches the socket's error listener, logging with its id.
    const session = new Session(socket, settings, { secure, id });
    sessions.add(session);
    observer.connectionOpened();
    void session.start().finally(() => {
      sessions.delete(session);
      observer.connectionClosed();
      observer.bytesSent(socket.bytesWritten);
      limits.release(admission.client);
    });
  }

  // allowHalfOpen: a client may send its commands and shut its sending side (`shutdown(SHUT_WR)`,
  // `socket.end()`); every command received is still answered before the connection closes.
  const plainServer = net.createServer({ allowHalfOpen: true }, (socket) => accept(socket, false));
  const tlsServer =
    tlsOptions && options.tls?.port !== undefined
      ? tls.createServer(
          // A handshake that never finishes holds a socket outside the session count: bound it like a login.
          { ...tlsOptions, allowHalfOpen: true, handshakeTimeout: Math.min(120, settings.preAuthTimeoutSeconds) * 1000 },
          (socket) => accept(socket, true),
        )
      : null;
  plainServer.on('error', (error) => logger.error({ err: error }, 'IMAP listener error'));
  tlsServer?.on('error', (error) => logger.error({ err: error }, 'IMAPS listener error'));
  tlsServer?.on('tlsClientError', (error, socket) => logger.debug({ err: error, remote: socket.remoteAddress }, 'TLS handshake failed'));

  function listenOn(server: net.Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  return {
    async listen() {
      const port = await listenOn(plainServer, options.port);
      const tlsPort = tlsServer ? await listenOn(tlsServer, options.tls!.port!) : undefined;
      logger.info({ host: options.host, port, tlsPort }, 'IMAP server listening');
      return { port, tlsPort };
    },
    async close() {
      closing = true;
      const stopped = [plainServer, tlsServer]
        .filter((server): server is net.Server => server !== null && server.listening)
        .map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      const open = [...sessions];
      await Promise.all(open.map((session) => session.bye('Server shutting down; reconnect in a moment')));
      await Promise.all([...stopped, ...open.map((session) => session.done())]);
      logger.info('IMAP server stopped');
    },
    connectionCount: () => sessions.size,
  };
}

/** What `mtm serve` calls: a listening server, ready for `close()` on SIGTERM. */
export async function startImapServer(options: ImapServerOptions): Promise<ImapServer & { port: number; tlsPort?: number }> {
  const server = createImapServer(options);
  const ports = await server.listen();
  return { ...server, ...ports };
}
