import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { UrgentWork } from '#libs/jobs';
import { describeError, Metrics } from '#libs/observability';
import { AttemptRecord, ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { retryDelaySeconds } from './webhook-retry-policy';
import { AttemptResult, WebhookSender } from './webhook-sender';

/** Longest a dispatch round runs; the next scheduled round carries on with whatever is left. */
const ROUND_BUDGET_MS = 25_000;
/** Outcomes are written together once this many have gathered, or after FLUSH_DELAY_MS. */
const FLUSH_SIZE = 200;
const FLUSH_DELAY_MS = 50;
/** Most deliveries claimed by one statement. */
const CLAIM_LIMIT = 200;

export interface DispatchSummary {
  attempted: number;
  delivered: number;
  failed: number;
}

/**
 * Delivers due webhooks: claims due deliveries from Postgres in batches (SKIP LOCKED, with a
 * lease), keeps up to WEBHOOK_CONCURRENCY requests in flight, and records outcomes in batches.
 * Postgres holds all state, so any number of workers can run rounds side by side, and a round
 * cut short by a crash is finished by another worker when the claims' lease runs out.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private stopping = false;
  private currentRound?: Promise<DispatchSummary>;
  private readonly leaseSeconds: number;

  constructor(
    private readonly repository: WebhookDeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly urgentWork: UrgentWork,
  ) {
    // A claim must outlive its request (at most the timeout) and the short wait before its outcome
    // is written; twice the timeout leaves room for a slow database. Should it still run out, the
    // delivery is only sent twice (at least once) and the later attempt owns its schedule.
    this.leaseSeconds = Math.ceil((2 * config.WEBHOOK_TIMEOUT_MS) / 1000) + 5;
  }

  /** On shutdown, stop claiming; requests in flight finish and are recorded before the job ends. */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  /**
   * Runs before any `onApplicationShutdown` (where the database pool and BullMQ workers close, in
   * no set order): lets the round in progress record its outcomes while the pool is still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.currentRound?.catch(() => undefined);
  }

  /** Handles `dispatch-webhooks`: one round, until nothing is due (or the round's time is up). */
  async dispatchDue(): Promise<DispatchSummary> {
    // Ban enforcement running in this process goes first; the next round (a second later) delivers.
    if (this.stopping || this.urgentWork.shouldDefer()) return { attempted: 0, delivered: 0, failed: 0 };
    const round = this.runRound();
    this.currentRound = round;
    try {
      return await round;
    } finally {
      if (this.currentRound === round) this.currentRound = undefined;
    }
  }

  private async runRound(): Promise<DispatchSummary> {
    const summary: DispatchSummary = { attempted: 0, delivered: 0, failed: 0 };
    const recorder = new OutcomeRecorder(this.repository, this.config, this.metrics, summary, this.logger);
    const concurrency = this.config.WEBHOOK_CONCURRENCY;
    const claimSize = Math.min(CLAIM_LIMIT, Math.max(concurrency, 10));
    const inFlight = new Set<Promise<void>>();
    // Claimed, not yet sent. The next claim runs while these are sent, so the pool of requests never
    // waits for a database round trip; what waits here is covered by the claims' lease.
    const claimed: ClaimedDelivery[] = [];
    let claiming: Promise<void> | undefined;
    let drained = false;
    const deadline = Date.now() + ROUND_BUDGET_MS;
    // Requests in flight finish; no new claims while urgent work runs (the round then ends).
    const mayClaim = (): boolean => !drained && !this.stopping && !this.urgentWork.shouldDefer() && Date.now() < deadline;
    // One wake-up for "a request finished or a claim came back" (racing all requests on every
    // turn would attach a reaction to each of them, each time: quadratic work at high throughput).
    let wake: () => void = () => undefined;

    try {
      for (;;) {
        if (this.stopping && claimed.length > 0) await this.release(claimed.splice(0));
        while (inFlight.size < concurrency && claimed.length > 0) {
          const delivery = claimed.shift() as ClaimedDelivery;
          const task = this.attempt(delivery).then(
            (record) => recorder.add(record),
            // Not expected (the sender reports failures, never throws); the claim's lease brings it back.
            (error: unknown) => this.logger.error({ err: error }, `webhook attempt for notification ${delivery.id} failed unexpectedly`),
          );
          inFlight.add(task);
          void task.then(() => {
            inFlight.delete(task);
            wake();
          });
        }
        if (!claiming && claimed.length < concurrency && mayClaim()) {
          claiming = this.repository.claimDue(claimSize, this.leaseSeconds).then(
            (claim) => {
              claimed.push(...claim.deliveries);
              // Nothing due any more: finish what is claimed. Deliveries that come due later are the next round's.
              drained = claim.claimedCount === 0;
            },
            (error: unknown) => {
              drained = true; // the round ends; the next one (a second later) tries again
              this.logger.error({ err: error }, 'could not claim due webhook deliveries');
            },
          );
          void claiming.then(() => {
            claiming = undefined;
            wake();
          });
        }
        if (inFlight.size === 0 && !claiming && claimed.length === 0) break;
        // Completions only run while this awaits, so none can slip between setting `wake` and waiting.
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      await Promise.allSettled([...inFlight, claiming]);
      if (claimed.length > 0) await this.release(claimed.splice(0));
      await recorder.close();
    }
    if (summary.attempted > 0) this.logger.log(`webhook round: ${summary.attempted} attempted, ${summary.delivered} delivered, ${summary.failed} given up`);
    return summary;
  }

  /** Hands claimed but unsent deliveries back (shutting down), instead of leaving them to the lease. */
  private async release(deliveries: ClaimedDelivery[]): Promise<void> {
    try {
      await this.repository.releaseClaims(deliveries.map((delivery) => ({ notificationId: delivery.id, attempt: delivery.attempt })));
    } catch (error) {
      this.logger.warn(`could not release ${deliveries.length} webhook claims; they come back when their lease runs out: ${describeError(error)}`);
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<AttemptRecord> {
    // Standard Webhooks payload: the event type, when it happened, and the notification's data.
    const body = JSON.stringify({ type: delivery.type, timestamp: new Date(delivery.createdAt).toISOString(), data: delivery.data });
    const result: AttemptResult = await this.sender.send({ id: delivery.id, url: delivery.webhookUrl, secret: delivery.webhookSecret, body });
    this.metrics.webhookAttempts.inc({ outcome: result.outcome });
    this.metrics.webhookAttemptDuration.observe({ outcome: result.outcome }, result.durationMs / 1000);
    return {
      notificationId: delivery.id,
      attempt: delivery.attempt,
      url: delivery.webhookUrl,
      attemptedAt: result.attemptedAt,
      durationMs: result.durationMs,
      statusCode: result.statusCode,
      error: result.error,
      succeeded: result.outcome === 'delivered',
      // The backoff starts over with each retry window, as giving up does.
      retryInSeconds: retryDelaySeconds(delivery.attemptInWindow, {
        baseSeconds: this.config.WEBHOOK_RETRY_BASE_SECONDS,
        maxDelaySeconds: this.config.WEBHOOK_RETRY_MAX_DELAY_SECONDS,
      }),
    };
  }
}

/**
 * Gathers attempt outcomes and writes them set-based, one statement at a time (so a round
 * never holds more than one extra connection for recording). A write that fails is logged: its
 * deliveries stay claimed until the lease runs out and are then attempted again (at least once).
 */
class OutcomeRecorder {
  private buffer: AttemptRecord[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: WebhookDeliveriesRepository,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly summary: DispatchSummary,
    private readonly logger: Logger,
  ) {}

  add(record: AttemptRecord): void {
    this.summary.attempted++;
    this.buffer.push(record);
    if (this.buffer.length >= FLUSH_SIZE) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  async close(): Promise<void> {
    this.flush();
    await this.writing;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(() => this.write(batch));
  }

  private async write(batch: AttemptRecord[]): Promise<void> {
    try {
      const transitions = await this.repository.recordAttempts(batch, {
        maxAttempts: this.config.WEBHOOK_MAX_ATTEMPTS,
        retryWindowSeconds: this.config.WEBHOOK_RETRY_WINDOW_SECONDS,
      });
      for (const transition of transitions) {
        if (transition.state === 'delivered') {
          this.summary.delivered++;
          if (transition.lagSeconds !== null) this.metrics.webhookDeliveryLag.observe(transition.lagSeconds);
        } else if (transition.state === 'failed') {
          this.summary.failed++;
          this.metrics.webhookDeliveriesFailed.inc();
        }
      }
    } catch (error) {
      this.logger.error(
        { err: error },
        `could not record ${batch.length} webhook attempts; their deliveries will be retried when the claim lease runs out`,
      );
    }
  }
}
