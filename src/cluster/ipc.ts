/**
 * Requests and notices between the primary of `mtm serve` and its IMAP worker processes, over the
 * IPC channel node:cluster opens to each worker. Either side may ask; every request gets one reply
 * (a value or an error message) or fails after a timeout, so a process that died never leaves a
 * caller waiting. Messages of other users of the channel (none today) are left alone.
 */

/** One end of the channel: `process` in a worker, the cluster `Worker` object in the primary. */
export interface IpcEndpoint {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export type IpcHandler = (payload: unknown) => unknown;

type Envelope =
  | { mtm: 'request'; id: number; kind: string; payload: unknown }
  | { mtm: 'reply'; id: number; ok: true; value: unknown }
  | { mtm: 'reply'; id: number; ok: false; error: string }
  | { mtm: 'notice'; kind: string; payload: unknown };

function isEnvelope(message: unknown): message is Envelope {
  return typeof message === 'object' && message !== null && 'mtm' in message;
}

export class IpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
  private readonly listener = (message: unknown): void => this.receive(message);

  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly handlers: Record<string, IpcHandler>,
    private readonly timeoutMs = 10_000,
  ) {
    endpoint.on('message', this.listener);
  }

  /** Asks the other side; rejects on its error, or when no answer came within the timeout. */
  request<T>(kind: string, payload: unknown = null): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${kind} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.post({ mtm: 'request', id, kind, payload }, (error) => this.settle(id, { ok: false, error: error.message }));
    });
  }

  /** Tells the other side something that needs no answer. */
  notify(kind: string, payload: unknown = null): void {
    this.post({ mtm: 'notice', kind, payload }, () => undefined);
  }

  /** Stops listening and fails what is still waiting (the other side has gone). */
  close(reason = 'the other process has gone'): void {
    this.endpoint.off('message', this.listener);
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error: reason });
  }

  private post(envelope: Envelope, failed: (error: Error) => void): void {
    try {
      // A channel closing under us reports through the callback or throws, depending on timing.
      (this.endpoint.send as (message: unknown, handle?: undefined, options?: object, callback?: (error: Error | null) => void) => unknown)(
        envelope,
        undefined,
        {},
        (error) => error && failed(error),
      );
    } catch (error) {
      failed(error as Error);
    }
  }

  private receive(message: unknown): void {
    if (!isEnvelope(message)) return;
    if (message.mtm === 'reply') {
      this.settle(message.id, message);
      return;
    }
    const handler = this.handlers[message.kind];
    if (message.mtm === 'notice') {
      void Promise.resolve()
        .then(() => handler?.(message.payload))
        .catch(() => undefined);
      return;
    }
    const { id } = message;
    void Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`nobody answers ${message.kind}`);
        return handler(message.payload);
      })
      .then(
        (value) => this.post({ mtm: 'reply', id, ok: true, value: value ?? null }, () => undefined),
        (error: Error) => this.post({ mtm: 'reply', id, ok: false, error: error.message }, () => undefined),
      );
  }

  private settle(id: number, reply: { ok: true; value: unknown } | { ok: false; error: string }): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(new Error(reply.error));
  }
}
