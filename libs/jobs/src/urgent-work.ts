/**
 * Longest that background work defers to urgent work. A ban of 20,000 bookings is enforced in
 * one or two seconds; one of a million takes about a minute, and webhooks must not wait that long.
 */
export const MAX_DEFERRAL_MS = 10_000;

/**
 * Work of this process that should have its CPU first. On a small machine a worker that cancels
 * a ban's bookings and delivers their webhooks at the same time does both slower (the webhooks
 * for 20,000 cancellations are 20,000 HTTP requests, sent from the same event loop): the
 * cancellations are what the ban requires, the notifications can follow a moment later. Ban
 * enforcement runs inside `run`; the webhook dispatcher does not start new deliveries while
 * `shouldDefer` says so, and picks up at its next round. Per process: other workers deliver on.
 * One instance per process, provided by `JobsModule`.
 */
export class UrgentWork {
  private running = 0;
  private oldestStartedAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running === 0) this.oldestStartedAt = this.now();
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }

  /** Whether background work should wait: urgent work is running, and has not yet run for MAX_DEFERRAL_MS. */
  shouldDefer(): boolean {
    return this.running > 0 && this.now() - this.oldestStartedAt < MAX_DEFERRAL_MS;
  }
}
