/**
 * What the IMAP server reports as it serves, for whoever watches (Prometheus in `mtm serve`). The
 * server is given an observer rather than importing a metrics module, so tests and other
 * deployments can watch (or not) without a process-wide registry.
 */
export interface ServingObserver {
  connectionOpened(): void;
  connectionClosed(): void;
  /** Bytes written to one client socket, reported when it closes. */
  bytesSent(bytes: number): void;
  /** Once per tagged command; `name` is a known command or UNKNOWN (never client text). */
  command(name: string, result: 'ok' | 'no' | 'bad', seconds: number): void;
}

/** Watches nothing: the default when a server is created without an observer. */
export const unobserved: ServingObserver = {
  connectionOpened() {},
  connectionClosed() {},
  bytesSent() {},
  command() {},
};
