import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { UrgentWork } from '#libs/jobs';
import { describeError, Metrics } from '#libs/observability';
import { AttemptRecord, ClaimedDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { DeliveryPacer } from './delivery-pacer';
import { retryDelaySeconds } from './webhook-retry-policy';
import { AttemptResult, WebhookSender } from './webhook-sender';

/** Longest a dispatch round claims; the next scheduled round carries on with whatever is left. */
const ROUND_BUDGET_MS = 25_000;
/** Outcomes are written together once this many have gathered, or after FLUSH_DELAY_MS. */
const FLUSH_SIZE = 200;
const FLUSH_DELAY_MS = 50;
/** Most deliveries claimed by one statement. */
const CLAIM_LIMIT = 200;
/**
 * While requests are in flight and nothing else was due (or only for agencies at their share),
 * the round looks again this often, so a delivery that comes due meanwhile (another agency's)
 * waits a fraction of a second, not until a slow receiver's requests are over.
 */
const IDLE_CLAIM_INTERVAL_MS = 200;

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
 *
 * Fair between agencies: each claim gives every agency with something due at most a share of
 * this process's WEBHOOK_CONCURRENCY slots (those slots divided by the agencies in hand or due,
 * plus one, so a share is always left for an agency whose first delivery comes due), fewest in
 * hand first (see `claimDue`). A backlog of a million deliveries, or a receiver that answers only
 * at the timeout, holds a bounded part of the slots, and other agencies' deliveries go out beside it.
 * Requests outlive the round that claimed them: a round that ends (its budget spent) leaves its
 * slow requests running, counted against the next round's slots, instead of holding every other
 * agency's deliveries back until they time out.
 *
 * While a ban is being enforced, here or by another worker (`UrgentWork`), the claims of all
 * workers together take at most WEBHOOK_RATE_DURING_ENFORCEMENT deliveries a second (a token
 * bucket in PostgreSQL they share), still shared out between agencies as above: the
 * enforcement and other agencies' bookings keep the cores, an agency with nothing to do with
 * the ban still gets its notification within a claim or two, and the ban's own backlog goes out
 * at full speed once its cancellations are done.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private stopping = false;
  private currentRound?: Promise<DispatchSummary>;
  private readonly leaseSeconds: number;
  /** Requests in flight in this process, whichever round claimed them. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Per agency: deliveries claimed by this process and not yet recorded (in flight or about to be sent). */
  private readonly inHand = new Map<string, number>();
  /** Per agency: requests in flight, never more than `share`. */
  private readonly sending = new Map<string, number>();
  /** The most requests one agency may have in flight, as the last claim computed it (see `claimDue`). */
  private share: number;
  private readonly recorder: OutcomeRecorder;
  private readonly pacer: DeliveryPacer;
  /** Whether the last look found a ban being enforced (deliveries paced): a change is logged. */
  private paced = false;
  /** Requests finished in this process so far: one that finished frees its agency's share, so a claim that found nothing may find more. */
  private completions = 0;
  /** Wakes the round in progress: a request finished, a claim came back, or it is time to claim again. */
  private wake: () => void = () => undefined;

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
    this.recorder = new OutcomeRecorder(repository, config, metrics, this.logger);
    this.share = Math.ceil(config.WEBHOOK_CONCURRENCY / 2);
    this.pacer = new DeliveryPacer(config.WEBHOOK_RATE_DURING_ENFORCEMENT);
  }

  /** On shutdown, stop claiming; requests in flight finish and are recorded before the job ends. */
  onModuleDestroy(): void {
    this.stopping = true;
    this.wake();
  }

  /**
   * Runs before any `onApplicationShutdown` (where the database pool and BullMQ workers close, in
   * no set order): lets the round in progress, and every request still in flight, record their
   * outcomes while the pool is still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.currentRound?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.recorder.close();
  }

  /** Handles `dispatch-webhooks`: one round, until nothing is due (or the round's time is up). */
  async dispatchDue(): Promise<DispatchSummary> {
    if (this.stopping) return { attempted: 0, delivered: 0, failed: 0 };
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
    const concurrency = this.config.WEBHOOK_CONCURRENCY;
    // Claimed, not yet sent. The next claim runs while requests are in flight, so the pool of
    // requests rarely waits for a database round trip; what waits here is covered by the claims' lease.
    const claimed: ClaimedDelivery[] = [];
    let claiming: Promise<void> | undefined;
    // The last claim found nothing (nothing due, or only for agencies at their share), and no
    // request has finished since: claim again only after IDLE_CLAIM_INTERVAL_MS.
    let emptyClaim: { at: number; completions: number } | undefined;
    // The round's budget, claim intervals and claims' ages are timeouts: the monotonic clock, not the domain's.
    const deadline = performance.now() + ROUND_BUDGET_MS;
    // No new claims once the round's time is up (the round then ends).
    const mayClaim = (): boolean => !this.stopping && performance.now() < deadline;
    const idle = (): boolean => emptyClaim !== undefined && emptyClaim.completions === this.completions;
    // When the next claim may go: after the idle interval if the last found nothing, and, while a
    // ban is being enforced (`paced`), once the pace allows a burst of deliveries.
    const claimNotBefore = (paced: boolean): number => {
      const afterIdle = idle() ? (emptyClaim?.at ?? 0) + IDLE_CLAIM_INTERVAL_MS : 0;
      return Math.max(afterIdle, paced ? performance.now() + this.pacer.msUntilBurst() : 0);
    };

    try {
      for (;;) {
        if (this.stopping && claimed.length > 0) await this.release(claimed.splice(0));
        this.sendWhatMayGo(claimed, summary, concurrency);
        // Room for as many again as can be in flight: each agency's second share waits here, ready.
        const room = 2 * concurrency - this.inFlight.size - claimed.length;
        const waitingToClaim = !claiming && room > 0 && mayClaim();
        const paced = waitingToClaim && this.pacedNow();
        const notBefore = waitingToClaim ? claimNotBefore(paced) : 0;
        if (waitingToClaim && performance.now() >= notBefore) {
          const completions = this.completions;
          const limit = Math.min(CLAIM_LIMIT, room, this.pacer.available(paced));
          claiming = this.claim(limit, paced, concurrency).then(
            (claim) => {
              for (const delivery of claim.deliveries) this.inHand.set(delivery.agencyId, (this.inHand.get(delivery.agencyId) ?? 0) + 1);
              claimed.push(...claim.deliveries);
              if (claim.share !== null) this.share = claim.share;
              emptyClaim = claim.claimedCount === 0 ? { at: performance.now(), completions } : undefined;
            },
            (error: unknown) => {
              emptyClaim = { at: performance.now(), completions }; // the next claim, a moment later, tries again
              this.logger.error({ err: error }, 'could not claim due webhook deliveries');
            },
          );
          void claiming.then(() => {
            claiming = undefined;
            this.wake();
          });
          continue;
        }
        if (!claiming && claimed.length === 0) {
          // Nothing due and nothing in flight that could free a share: done (what comes due later is
          // the next round's). Requests of this round still in flight (a slow receiver's) carry on
          // and are recorded; the next round counts them against its slots.
          if (!mayClaim() || (idle() && this.inFlight.size === 0)) break;
        }
        // Completions only run while this awaits, so none can slip between setting `wake` and waiting.
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          // Held back by the idle interval or the pace: come back when it is over.
          if (waitingToClaim) timer = setTimeout(resolve, Math.max(1, notBefore - performance.now()));
        });
        if (timer) clearTimeout(timer);
      }
    } finally {
      this.wake = () => undefined;
      await claiming?.catch(() => undefined);
      if (claimed.length > 0) await this.release(claimed.splice(0));
    }
    if (summary.attempted > 0)
      this.logger.log(`webhook round: ${summary.attempted} attempted, ${summary.delivered} delivered, ${summary.failed} given up`);
    return summary;
  }

  /**
   * Claims up to `wanted` due deliveries. Paced, only as many as the pace every worker shares
   * grants (`takeFromSharedPace`): this worker's own bucket only says when to ask, a burst about
   * five times a second. What is granted and not found due is not given back: the pace only bounds.
   */
  private async claim(wanted: number, paced: boolean, concurrency: number): ReturnType<WebhookDeliveriesRepository['claimDue']> {
    let limit = wanted;
    if (paced) {
      this.pacer.take(wanted);
      limit = await this.repository.takeFromSharedPace(wanted, {
        ratePerSecond: this.config.WEBHOOK_RATE_DURING_ENFORCEMENT,
        burst: this.pacer.burst,
      });
      if (limit === 0) return { deliveries: [], claimedCount: 0, share: null };
    }
    return this.repository.claimDue(limit, this.leaseSeconds, { concurrency, inHand: this.inHand });
  }

  /** Whether deliveries are paced now (a ban is being enforced); logs when that changes, so an operator sees why webhooks slowed. */
  private pacedNow(): boolean {
    const paced = this.urgentWork.isRunning();
    if (paced !== this.paced) {
      this.paced = paced;
      if (paced) this.logger.log(`a ban is being enforced: webhook deliveries paced at ${this.config.WEBHOOK_RATE_DURING_ENFORCEMENT}/s`);
      else this.logger.log('no ban being enforced any more: webhook deliveries at full speed');
    }
    return paced;
  }

  /**
   * Sends claimed deliveries in claim order while slots are free, each only while its agency has
   * fewer than a share in flight. One that waited so long for its agency's slot that its lease
   * could run out in flight is handed back (due again now) rather than sent.
   */
  private sendWhatMayGo(claimed: (ClaimedDelivery & { claimedAt?: number })[], summary: DispatchSummary, concurrency: number): void {
    const staleBefore = performance.now() - (this.leaseSeconds * 1000) / 3; // the claim's age: monotonic
    const stale: ClaimedDelivery[] = [];
    for (let index = 0; index < claimed.length && this.inFlight.size < concurrency;) {
      const delivery = claimed[index];
      if ((delivery.claimedAt ??= performance.now()) < staleBefore) {
        stale.push(...claimed.splice(index, 1));
      } else if ((this.sending.get(delivery.agencyId) ?? 0) < this.share) {
        claimed.splice(index, 1);
        this.send(delivery, summary);
      } else index++;
    }
    if (stale.length > 0) void this.release(stale);
  }

  /** Starts one request; its outcome goes to the recorder, and its agency's share is given back once recorded. */
  private send(delivery: ClaimedDelivery, summary: DispatchSummary): void {
    this.sending.set(delivery.agencyId, (this.sending.get(delivery.agencyId) ?? 0) + 1);
    const task = this.attempt(delivery).then(
      (record) => this.recorder.add(record, summary),
      // Not expected (the sender reports failures, never throws); the claim's lease brings it back.
      (error: unknown) => this.logger.error({ err: error }, `webhook attempt for notification ${delivery.id} failed unexpectedly`),
    );
    this.inFlight.add(task);
    void task.then(() => {
      this.inFlight.delete(task);
      const sending = (this.sending.get(delivery.agencyId) ?? 1) - 1;
      if (sending > 0) this.sending.set(delivery.agencyId, sending);
      else this.sending.delete(delivery.agencyId);
      this.giveBack([delivery]);
      this.completions++;
      this.wake();
    });
  }

  private giveBack(deliveries: ClaimedDelivery[]): void {
    for (const delivery of deliveries) {
      const left = (this.inHand.get(delivery.agencyId) ?? 1) - 1;
      if (left > 0) this.inHand.set(delivery.agencyId, left);
      else this.inHand.delete(delivery.agencyId);
    }
  }

  /** Hands claimed but unsent deliveries back (shutting down), instead of leaving them to the lease. */
  private async release(deliveries: ClaimedDelivery[]): Promise<void> {
    this.giveBack(deliveries);
    try {
      await this.repository.releaseClaims(deliveries.map((delivery) => ({ notificationId: delivery.id, attempt: delivery.attempt })));
    } catch (error) {
      this.logger.warn(
        `could not release ${deliveries.length} webhook claims; they come back when their lease runs out: ${describeError(error)}`,
      );
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<AttemptRecord> {
    // Standard Webhooks payload: the event type, when it happened, and the notification's data.
    const body = JSON.stringify({ type: delivery.type, timestamp: new Date(delivery.createdAt).toISOString(), data: delivery.data });
    const result: AttemptResult = await this.sender.send({
      id: delivery.id,
      url: delivery.webhookUrl,
      secret: delivery.webhookSecret,
      body,
    });
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
  private buffer: { record: AttemptRecord; summary: DispatchSummary }[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: WebhookDeliveriesRepository,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Adds an outcome, counted in the summary of the round that claimed it. */
  add(record: AttemptRecord, summary: DispatchSummary): void {
    summary.attempted++;
    this.buffer.push({ record, summary });
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

  private async write(batch: { record: AttemptRecord; summary: DispatchSummary }[]): Promise<void> {
    try {
      const transitions = await this.repository.recordAttempts(
        batch.map((entry) => entry.record),
        { maxAttempts: this.config.WEBHOOK_MAX_ATTEMPTS, retryWindowSeconds: this.config.WEBHOOK_RETRY_WINDOW_SECONDS },
      );
      const summaries = new Map(batch.map((entry) => [entry.record.notificationId, entry.summary]));
      for (const transition of transitions) {
        const summary = summaries.get(transition.notificationId);
        if (transition.state === 'delivered') {
          if (summary) summary.delivered++;
          if (transition.lagSeconds !== null) this.metrics.webhookDeliveryLag.observe(transition.lagSeconds);
        } else if (transition.state === 'failed') {
          if (summary) summary.failed++;
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
