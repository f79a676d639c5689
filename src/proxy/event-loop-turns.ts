/**
 * All sessions of a process share one event loop: a command that walks a whole folder (SEARCH TEXT
 * over 6,000 messages, a FETCH of every header) would otherwise hold it for as long as it runs, and
 * every other client — their NOOPs, `/healthz`, even SIGTERM — would wait. Long loops take turns:
 * they call `pause()` between units of work, which after TURN_MS of work lets pending I/O (other
 * clients) run before going on, and costs one clock read otherwise.
 */
import { performance } from 'node:perf_hooks';

/** How long one command may hold the event loop before it lets others in. */
export const TURN_MS = 5;

export class EventLoopTurns {
  private turnStarted = performance.now();

  constructor(private readonly turnMs = TURN_MS) {}

  /**
   * True once this turn has run its time: loops over thousands of small units ask this and await
   * pause() only then, since even an already-resolved await per unit costs a promise and a
   * microtask (and, with AsyncLocalStorage on, its hooks).
   */
  due(): boolean {
    return performance.now() - this.turnStarted >= this.turnMs;
  }

  /** Resolves at once within a turn; after it, once the I/O waiting meanwhile has been served. */
  async pause(): Promise<void> {
    if (performance.now() - this.turnStarted < this.turnMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.turnStarted = performance.now();
  }
}
