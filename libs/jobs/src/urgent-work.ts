/**
 * Work of this process that should have its CPU first. On a small machine a worker that cancels
 * a ban's bookings and delivers their webhooks at the same time does both slower (the webhooks
 * for 200,000 cancellations are 200,000 HTTP requests, sent from the same event loop, each
 * recorded in PostgreSQL), and other agencies' bookings lose the core both take. The
 * cancellations are what the ban requires; the notifications can follow. Ban enforcement runs
 * inside `run`; while `isRunning`, the webhook dispatcher of this process delivers at a trickle
 * (`WEBHOOK_RATE_DURING_ENFORCEMENT`), shared fairly between agencies, so that another agency's
 * notification still goes out within seconds while the ban's backlog waits. Per process: other
 * workers deliver on. One instance per process, provided by `JobsModule`.
 */
export class UrgentWork {
  private running = 0;

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }

  /** Whether urgent work is running in this process. */
  isRunning(): boolean {
    return this.running > 0;
  }
}
