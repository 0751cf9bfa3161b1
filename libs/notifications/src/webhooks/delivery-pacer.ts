/**
 * When a paced dispatcher may claim, and how many it asks for: a token bucket that fills at
 * `ratePerSecond`, holding at most a fifth of a second's worth, its burst (so a paced dispatcher
 * claims a burst about five times a second, not one big batch a second). Not paced, it sets no bound,
 * and pacing that starts again starts with a full bucket. How many it gets is the pace all
 * workers share, in PostgreSQL (`WebhookDeliveriesRepository.takeFromSharedPace`).
 */
export class DeliveryPacer {
  /** The most one claim takes while paced: a fifth of a second's worth, at least one. */
  readonly burst: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = Math.max(1, Math.ceil(ratePerSecond / 5));
    this.tokens = this.burst;
    this.updatedAt = now();
  }

  /** Deliveries a claim may take now: Infinity when not paced. */
  available(paced: boolean): number {
    if (!paced) {
      this.tokens = this.burst;
      this.updatedAt = this.now();
      return Number.POSITIVE_INFINITY;
    }
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Counts deliveries claimed (while paced; otherwise the next `available` forgets them). */
  take(count: number): void {
    this.tokens = Math.max(0, this.tokens - count);
  }

  /**
   * Milliseconds until a paced claim may take a full burst (0 when it may now). A claim costs
   * about as much for one delivery as for a hundred (a probe per agency), so a paced dispatcher
   * waits for a batch rather than claiming each delivery the moment the rate allows it.
   */
  msUntilBurst(): number {
    this.refill();
    return this.tokens >= this.burst ? 0 : Math.ceil(((this.burst - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.ratePerSecond) / 1000);
    this.updatedAt = now;
  }
}
