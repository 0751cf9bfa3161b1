import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { JobQueue, QUEUES } from '#libs/jobs';

/** How often the worker re-declares its job schedulers, so a flushed Redis gets them back. */
const REARM_INTERVAL_MS = 30_000;

/**
 * Declares the periodic sweeps as BullMQ job schedulers. Declaring is idempotent, and every
 * worker re-declares them every 30 s: if Redis was flushed (schedulers and delayed jobs gone),
 * the sweeps come back by themselves and find the due work in Postgres.
 */
@Injectable()
export class PeriodicJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PeriodicJobs.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.declare();
    this.timer = setInterval(() => void this.declare(), REARM_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async declare(): Promise<void> {
    try {
      await this.jobs
        .queue(QUEUES.maintenance)
        .upsertJobScheduler('sweep-expired-holds', { every: this.config.SWEEP_INTERVAL_SECONDS * 1000 }, { name: 'sweep-expired-holds', data: {} });
    } catch (error) {
      this.logger.warn(`could not declare job schedulers: ${(error as Error).message}`);
    }
  }
}
