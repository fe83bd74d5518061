/**
 * Publishes one stream's bus events in order with at most `window` of them unacknowledged by the bus,
 * as a sender honouring its receiver's window does; the rest wait in a queue the caller keeps short
 * (`room`), which is what pauses reading the upstream.
 */
import type { SseEnvelope } from '../../generated/index.ts';

export class WindowedPublisher {
  private readonly queue: SseEnvelope[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly send: (env: SseEnvelope) => Promise<void>,
    private readonly window: number,
  ) {}

  /** Queues `env` behind everything queued before it. */
  enqueue(env: SseEnvelope): void {
    if (this.stopped || this.failure !== undefined) return;
    this.queue.push(env);
    this.pump();
  }

  /** Sends nothing more (what is in flight still settles). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.wake();
  }

  /** Resolves once fewer than `window` events wait in the queue; rejects with the first publish failure. */
  async room(): Promise<void> {
    while (this.failure === undefined && !this.stopped && this.queue.length >= this.window) await this.changed();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Resolves once every queued event was acknowledged; rejects with the first publish failure. */
  async drained(): Promise<void> {
    while (this.failure === undefined && (this.queue.length > 0 || this.inFlight.size > 0)) await this.changed();
    if (this.failure !== undefined) throw this.failure;
  }

  private pump(): void {
    while (!this.stopped && this.failure === undefined && this.inFlight.size < this.window && this.queue.length > 0) {
      const sent: Promise<void> = this.send(this.queue.shift()!).then(
        () => {
          this.inFlight.delete(sent);
          this.pump();
          this.wake();
        },
        (err: unknown) => {
          this.inFlight.delete(sent);
          this.failure ??= err instanceof Error ? err : new Error(String(err));
          this.wake();
        },
      );
      this.inFlight.add(sent);
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
