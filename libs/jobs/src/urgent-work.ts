/** How stale the answer about urgent work in other processes may be. */
export const ELSEWHERE_CHECK_MS = 1_000;

/**
 * Work that should have the CPU first, in this process or another. On a small machine a worker
 * that cancels a ban's bookings and delivers their webhooks at the same time does both slower
 * (the webhooks for 200,000 cancellations are 200,000 HTTP requests, each recorded in
 * PostgreSQL), and other agencies' bookings lose the core both take. The cancellations are what
 * the ban requires; the notifications can follow. Ban enforcement runs inside `run`; while
 * `isRunning`, webhook dispatchers deliver at a trickle (`WEBHOOK_RATE_DURING_ENFORCEMENT`),
 * shared fairly between agencies, so that another agency's notification still goes out within
 * seconds while the ban's backlog waits. A ban enforced by another worker counts too
 * (`watchElsewhere`): workers share the database, and often the cores. One instance per process,
 * provided by `JobsModule`.
 */
export class UrgentWork {
  private running = 0;
  private elsewhere = false;
  private probe?: { check: () => Promise<boolean>; checkedAt: number; checking: boolean };

  constructor(private readonly now: () => number = () => performance.now()) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }

  /**
   * How to tell whether urgent work runs in another process. Asked at most every
   * ELSEWHERE_CHECK_MS, and only while someone asks `isRunning`, in the background: `isRunning`
   * answers at once with the last answer. A check that fails counts as nothing running.
   */
  watchElsewhere(check: () => Promise<boolean>): void {
    this.probe = { check, checkedAt: Number.NEGATIVE_INFINITY, checking: false };
  }

  /** Whether urgent work is running in this process, or was in another at the last check. */
  isRunning(): boolean {
    if (this.running > 0) return true;
    this.checkElsewhere();
    return this.elsewhere;
  }

  private checkElsewhere(): void {
    const probe = this.probe;
    if (!probe || probe.checking || this.now() - probe.checkedAt < ELSEWHERE_CHECK_MS) return;
    probe.checking = true;
    probe
      .check()
      .then(
        (running) => (this.elsewhere = running),
        () => (this.elsewhere = false),
      )
      .finally(() => {
        probe.checking = false;
        probe.checkedAt = this.now();
      });
  }
}
