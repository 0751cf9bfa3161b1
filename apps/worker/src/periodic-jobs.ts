import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { JobQueue, QUEUES } from '#libs/jobs';

/** How often the worker re-declares its job schedulers, so a flushed Redis gets them back. */
const REARM_INTERVAL_MS = 30_000;
/** After a failed declaration (e.g. Redis still connecting at boot), try again this soon rather than at the next re-arm. */
const DECLARE_RETRY_MS = 2_000;

/**
 * Declares the periodic sweeps as BullMQ job schedulers. Declaring is idempotent, and every
 * worker re-declares them whenever its Redis connection comes back and every 30 s: if Redis was
 * restarted empty or flushed (schedulers and delayed jobs gone), the sweeps come back by
 * themselves and find the due work in Postgres.
 */
@Injectable()
export class PeriodicJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PeriodicJobs.name);
  private timer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.declare();
    this.timer = setInterval(() => void this.declare(), REARM_INTERVAL_MS);
    this.timer.unref();
    this.declareAgainOnReconnect();
  }

  /**
   * A Redis that restarted or failed over may be back empty, schedulers and all: declare them
   * again as soon as the connection is back, rather than at the next re-arm, up to 30 s later.
   */
  private declareAgainOnReconnect(): void {
    this.jobs
      .queue(QUEUES.maintenance)
      .getBackend()
      .on('ready', () => {
        if (!this.stopped) void this.declare();
      });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
  }

  private async declare(): Promise<void> {
    try {
      // Every SWEEP_INTERVAL_SECONDS, each finds in Postgres the work whose trigger was lost
      // (flushed Redis, failed job): expired holds, overdue party decisions, bans whose enforcement
      // is not complete, cancelled flights whose bookings still hold the segment. Data retention has
      // no trigger of its own: its sweep is the only way guest data is erased, and finding nothing
      // due is one cheap index lookup. The ban preview's party counts are folded as often, so
      // that they stay about one row per key however many bookings change.
      const maintenance = this.jobs.queue(QUEUES.maintenance);
      for (const name of [
        'sweep-expired-holds',
        'sweep-party-decisions',
        'reconcile-restrictions',
        'reconcile-flight-disruptions',
        'apply-data-retention',
        'fold-party-counts',
      ] as const) {
        await maintenance.upsertJobScheduler(name, { every: this.config.SWEEP_INTERVAL_SECONDS * 1000 }, { name, data: {} });
      }
      // Webhook rounds: frequent, since this is what triggers delivery; each round drains whatever is due.
      // Keep little history: a round every second would otherwise fill Redis with completed jobs.
      await this.jobs
        .queue(QUEUES.webhooks)
        .upsertJobScheduler(
          'dispatch-webhooks',
          { every: this.config.WEBHOOK_DISPATCH_INTERVAL_MS },
          { name: 'dispatch-webhooks', data: {}, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } },
        );
    } catch (error) {
      this.logger.warn(`could not declare job schedulers (retrying in ${DECLARE_RETRY_MS} ms): ${(error as Error).message}`);
      // Webhook delivery and the sweeps depend on these schedulers: 30 s without them is too long.
      if (!this.retry && !this.stopped) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.declare();
        }, DECLARE_RETRY_MS);
        this.retry.unref();
      }
    }
  }
}
