import { BusError } from './errors.ts';

/**
 * The in-process delivery queue both Bus implementations use: handlers run asynchronously
 * (queueMicrotask), in the order deliveries were queued, and the queue is bounded — `reserve` throws
 * `backpressure` (with a retry hint) instead of growing without limit.
 */
export class DeliveryQueue {
  private readonly queue: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(readonly maxQueued: number) {}

  /** Deliveries queued and not yet run. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Resolves once every queued delivery (including those queued meanwhile) has run. */
  async drain(): Promise<void> {
    while (this.queued > 0 || this.scheduled) await new Promise<void>((r) => setTimeout(r, 0));
  }

  /** Throws `backpressure` unless `n` more deliveries fit. */
  reserve(n: number, address: string): void {
    const q = this.queued;
    if (q + n > this.maxQueued) {
      throw new BusError('backpressure', `${address}: ${q} deliveries queued (limit ${this.maxQueued})`, {
        address,
        retryAfterMs: Math.max(1, Math.ceil(q / 10_000)),
      });
    }
  }

  enqueue(task: () => void): void {
    this.queue.push(task);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.run());
    }
  }

  private run(): void {
    // Run what is queued now; what the handlers queue runs in a later microtask, still in order.
    const end = this.queue.length;
    while (this.head < end) {
      const task = this.queue[this.head]!;
      this.queue[this.head++] = noop;
      task();
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    queueMicrotask(() => this.run());
  }
}

function noop(): void {}
