/**
 * One client connection: the state machine of RFC 3501 §3, the command loop (read → parse →
 * dispatch → answer, strictly in order), the transport switches (STARTTLS, COMPRESS=DEFLATE) and
 * the timers (autologout). Storage is reached only through the SnapshotView that LOGIN hands back.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Logger } from 'pino';
import type { LoginService, OpenMailbox, SnapshotView } from './ports.js';
import type { ServingObserver } from './observer.js';
import type { ResponsePiece } from './protocol/response-piece.js';
import { CommandReader } from './protocol/command-reader.js';
import { parseCommand } from './protocol/parser.js';
import { ConnectionClosedError, ResponseWriter, continuationLine, statusLine } from './protocol/response-writer.js';
import { line } from './protocol/format.js';
import { EventLoopTurns } from './event-loop-turns.js';
import type { CommandResult } from './protocol/command-result.js';
import type { ParsedCommand } from './protocol/tokens.js';

/**
 * Where a session is (RFC 3501 §3), with what it has there: an account and its view once logged
 * in, an open mailbox once selected. A type per state, so "selected without a mailbox" cannot be
 * written; commands receive the session narrowed to the states they declare (SessionIn).
 */
export type SessionPhase =
  | { state: 'not-authenticated' }
  | { state: 'authenticated'; account: string; view: SnapshotView }
  | { state: 'selected'; account: string; view: SnapshotView; mailbox: OpenMailbox }
  | { state: 'logout' };

export type SessionState = SessionPhase['state'];

/** A session known to be in one of the states S: `session.phase` has what those states have. */
export type SessionIn<S extends SessionState> = Session & { readonly phase: Extract<SessionPhase, { state: S }> };
export type LoggedInSession = SessionIn<'authenticated' | 'selected'>;

/** What every session of one server shares. */
export interface SessionSettings {
  loginService: LoginService;
  logger: Logger;
  allowPlaintextAuth: boolean;
  /** Present when the server has a certificate: STARTTLS is offered. */
  tlsContext: SecureContext | null;
  maxLineBytes: number;
  maxLiteralBytes: number;
  idleTimeoutSeconds: number;
  /** Interval of `* OK Still here` during IDLE. */
  idleKeepAliveSeconds: number;
  /** Time from connecting to a completed login, however active the client is. */
  preAuthTimeoutSeconds: number;
  /** Told of every command answered (metrics). */
  observer: ServingObserver;
  /**
   * Runs one parsed command (the dispatcher): given rather than imported, so the connection's
   * state machine does not depend on the command modules, which depend on it.
   */
  dispatch(session: Session, command: ParsedCommand): Promise<CommandResult>;
}

const BASE_CAPABILITIES = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE'];
/**
 * Advertised after login. Extensions whose commands live elsewhere are listed here once wired.
 * README "IMAP extensions" lists what is and is not supported next to Dovecot's list, with reasons.
 */
const AUTHENTICATED_CAPABILITIES = [
  'UNSELECT', 'CHILDREN', 'LIST-EXTENDED', 'LIST-STATUS', 'ACL', 'RIGHTS=texk', 'UTF8=ACCEPT', 'STATUS=SIZE',
  'MOVE', 'ESEARCH', 'SORT', 'SORT=DISPLAY', 'THREAD=REFERENCES', 'THREAD=ORDEREDSUBJECT',
  'CONDSTORE', 'QRESYNC', 'ESORT', 'CONTEXT=SEARCH', 'CONTEXT=SORT', 'BINARY',
];

/** Extensions a client can ENABLE (RFC 5161) besides UTF8=ACCEPT, which has its own flag. */
export type EnabledExtension = 'CONDSTORE' | 'QRESYNC';

export class Session {
  private current: SessionPhase = { state: 'not-authenticated' };
  secure: boolean;
  compressed = false;
  utf8Enabled = false;
  /** CONDSTORE / QRESYNC once a client enabled them (ENABLE, or implicitly as RFC 7162 §3.1 lists). */
  readonly enabled = new Set<EnabledExtension>();
  /**
   * Tags of SEARCH/SORT RETURN (UPDATE) requests still active on the selected mailbox (RFC 5267
   * §4.2). A snapshot never changes, so no update is ever sent; CANCELUPDATE needs the tags.
   */
  readonly searchUpdates = new Set<string>();
  /** Bound to the session id and client address; every line about this connection goes here. */
  log: Logger;
  readonly id: string;

  private transport: Socket | TLSSocket;
  private readonly reader: CommandReader;
  private readonly writer: ResponseWriter;
  private untaggedQueue: Buffer[] = [];
  private autologoutTimer: NodeJS.Timeout | null = null;
  private preAuthTimer: NodeJS.Timeout | null = null;
  private closing = false;
  /** A command is running (a long download, IDLE): autologout waits for it to finish. */
  private busy = false;
  private finished!: Promise<void>;

  constructor(
    socket: Socket | TLSSocket,
    readonly settings: SessionSettings,
    options: { secure: boolean; id: string },
  ) {
    this.transport = socket;
    this.secure = options.secure;
    this.id = options.id;
    this.log = settings.logger.child({ session: options.id, remote: socket.remoteAddress });
    this.writer = new ResponseWriter(socket);
    this.reader = new CommandReader(
      socket,
      { maxLineBytes: settings.maxLineBytes, maxLiteralBytes: settings.maxLiteralBytes },
      () => this.continuation('Ready for literal data'),
    );
    socket.on('error', (error) => this.log.debug({ err: error }, 'socket error'));
  }

  get phase(): SessionPhase {
    return this.current;
  }

  get state(): SessionState {
    return this.current.state;
  }

  get remoteAddress(): string {
    return this.transport.remoteAddress ?? '';
  }

  get remotePort(): number | undefined {
    return this.transport.remotePort;
  }

  /** Greets the client and serves commands until the connection ends; never rejects. */
  start(): Promise<void> {
    const opened = Date.now();
    this.log.debug({ secure: this.secure }, 'connection opened');
    // Counted from the start, not from the last input: a client trickling bytes must still log in
    // within the limit, so unauthenticated connections cannot pile up for the 30-minute autologout.
    this.preAuthTimer = setTimeout(() => {
      if (this.state !== 'not-authenticated') return;
      this.log.info({ seconds: this.settings.preAuthTimeoutSeconds }, 'disconnected: no login in time');
      void this.bye('Too long without logging in; connect again when ready');
    }, this.settings.preAuthTimeoutSeconds * 1000);
    // Layers below that log for the session are handed this.log (LOGIN passes it to the login
    // service), not an AsyncLocalStorage context: its promise hooks cost every promise of the server.
    this.finished = this.serve()
      .catch((error) => {
        if (!(error instanceof ConnectionClosedError)) this.log.error({ err: error }, 'session failed');
      })
      .finally(() => {
        this.destroy();
        this.log.debug({ seconds: (Date.now() - opened) / 1000 }, 'connection closed');
      });
    return this.finished;
  }

  capabilities(): string[] {
    const caps = [...BASE_CAPABILITIES];
    if (this.state === 'not-authenticated') {
      if (this.settings.tlsContext && !this.secure) caps.push('STARTTLS');
      if (this.secure || this.settings.allowPlaintextAuth) caps.push('AUTH=PLAIN', 'AUTH=LOGIN');
      else caps.push('LOGINDISABLED');
    } else {
      caps.push(...AUTHENTICATED_CAPABILITIES);
    }
    if (!this.compressed) caps.push('COMPRESS=DEFLATE');
    return caps;
  }

  /** True when LOGIN / AUTHENTICATE may carry a password on this connection. */
  get plaintextAuthAllowed(): boolean {
    return this.secure || this.settings.allowPlaintextAuth;
  }

  /** Queues `* text`; sent before the next write or the tagged response. */
  untagged(text: string): void {
    this.untaggedQueue.push(line(`* ${text}`));
  }

  /** Sends queued untagged lines, then the pieces, waiting for the socket to drain. */
  async write(pieces: ResponsePiece[] = []): Promise<void> {
    const queued = this.untaggedQueue;
    this.untaggedQueue = [];
    await this.writer.write([...queued, ...pieces]);
  }

  /** `+ text`, flushed at once (the client waits for it). */
  async continuation(text: string): Promise<void> {
    await this.write([continuationLine(text)]);
  }

  /** One raw client line (IDLE's DONE, an AUTHENTICATE response); null when the connection ended. */
  async readLine(): Promise<string | null> {
    const read = await this.reader.readRawLine();
    this.touch();
    if (!read) return null;
    return read.overflow ? '' : read.bytes.toString('utf8');
  }

  loggedIn(account: string, view: SnapshotView): void {
    this.current = { state: 'authenticated', account, view };
    this.clearPreAuthTimer();
    this.log = this.log.child({ account });
  }

  /** Only a logged-in session can select: the type asks for one. */
  select(this: LoggedInSession, mailbox: OpenMailbox): void {
    const { account, view } = this.phase;
    (this as Session).current = { state: 'selected', account, view, mailbox };
  }

  deselect(): void {
    this.searchUpdates.clear();
    const phase = this.current;
    if (phase.state === 'selected') this.current = { state: 'authenticated', account: phase.account, view: phase.view };
  }

  /** LOGOUT: the command loop ends after the tagged answer. */
  logout(): void {
    this.searchUpdates.clear();
    this.current = { state: 'logout' };
  }

  /** Sends `* BYE text` (between responses, never inside one) and closes the connection. */
  async bye(text: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.untaggedQueue = [];
    // A client that stopped reading mid-response must not hold up a shutdown: give it 2 s.
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
    await Promise.race([this.writer.write([statusLine(null, 'BYE', undefined, text)]).catch(() => undefined), patience]);
    clearTimeout(timer);
    this.endTransport();
  }

  /** Resolves when the session has ended. */
  done(): Promise<void> {
    return this.finished;
  }

  /** STARTTLS: after its tagged OK, drop anything pipelined behind it and start the handshake. */
  async startTls(): Promise<void> {
    const context = this.settings.tlsContext;
    if (!context) return;
    await this.writer.settled();
    this.reader.detach(); // bytes sent before the handshake must not be trusted (RFC 3501 §6.2.1)
    const plain = this.transport as Socket;
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context });
    secure.on('error', (error) => {
      this.log.debug({ err: error }, 'TLS error');
      secure.destroy();
    });
    this.transport = secure;
    this.secure = true;
    this.writer.setOutput(secure);
    this.reader.attach(secure);
  }

  /** COMPRESS=DEFLATE (RFC 4978): after its tagged OK, both directions go through raw deflate. */
  async startCompression(): Promise<void> {
    await this.writer.settled();
    const leftover = this.reader.detach(); // already compressed by the client
    const inflate = zlib.createInflateRaw();
    const deflate = zlib.createDeflateRaw();
    inflate.on('error', () => this.transport.destroy());
    deflate.on('error', () => this.transport.destroy());
    deflate.pipe(this.transport);
    if (leftover.length > 0) inflate.write(leftover);
    this.transport.pipe(inflate);
    this.compressed = true;
    this.writer.setOutput(deflate, () => deflate.flush(zlib.constants.Z_SYNC_FLUSH));
    this.reader.attach(inflate as unknown as Readable);
  }

  private async serve(): Promise<void> {
    this.touch();
    await this.write([line(`* OK [CAPABILITY ${this.capabilities().join(' ')}] Mail Time Machine ready (read-only snapshots)`)]);
    // Pipelined commands are read from the buffer without waiting for I/O: thousands of them in
    // one burst must still let other sessions in between.
    const turns = new EventLoopTurns();
    while (!this.closing && this.state !== 'logout') {
      await turns.pause();
      const frame = await this.reader.readCommand();
      if (!frame || this.closing) return;
      this.touch();
      if (frame.kind === 'refused') {
        await this.answer(frame.tag, { status: frame.status, code: frame.code, text: frame.text });
        continue;
      }
      let parsed: ReturnType<typeof parseCommand>;
      try {
        parsed = parseCommand(frame);
      } catch (error) {
        this.log.error({ err: error }, 'parser failed');
        parsed = { ok: false, tag: null, text: 'Could not parse the command' };
      }
      if (!parsed.ok) {
        await this.answer(parsed.tag, { status: 'BAD', text: parsed.text });
        continue;
      }
      this.busy = true;
      const result = await this.settings.dispatch(this, parsed.command).finally(() => {
        this.busy = false;
      });
      await this.answer(parsed.command.tag, result);
      if (result.after && !this.writer.isClosed) await result.after();
    }
    if (this.state === 'logout') this.endTransport();
  }

  /** Writes the tagged (or, without a usable tag, untagged) completion. */
  private async answer(tag: string | null, result: CommandResult): Promise<void> {
    try {
      await this.write([statusLine(tag, result.status, result.code, result.text)]);
    } catch (error) {
      if (!(error instanceof ConnectionClosedError)) throw error;
      this.closing = true;
    }
  }

  /** Input arrived: restart the autologout clock. */
  private touch(): void {
    if (this.autologoutTimer) clearTimeout(this.autologoutTimer);
    this.autologoutTimer = setTimeout(() => {
      // IDLE or a slow download is not inactivity; a dead peer is caught by failing writes instead.
      if (this.busy) return this.touch();
      this.log.info('autologout after idle timeout');
      void this.bye('Autologout; idle for too long');
    }, this.settings.idleTimeoutSeconds * 1000);
  }

  private endTransport(): void {
    this.writer.end();
    const transport = this.transport;
    // A client that does not read must not keep the socket forever.
    setTimeout(() => transport.destroy(), 5000).unref();
  }

  private clearPreAuthTimer(): void {
    if (this.preAuthTimer) clearTimeout(this.preAuthTimer);
    this.preAuthTimer = null;
  }

  private destroy(): void {
    if (this.autologoutTimer) clearTimeout(this.autologoutTimer);
    this.autologoutTimer = null;
    this.clearPreAuthTimer();
    // Drop the view and mailbox (and what they hold) with the connection.
    this.current = { state: 'logout' };
    if (!this.transport.destroyed) this.endTransport();
  }
}
