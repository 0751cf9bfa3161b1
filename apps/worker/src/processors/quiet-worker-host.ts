import { Logger } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { connectionErrorLog } from '../connection-error-log';

/** Base of every processor: its BullMQ worker's connection errors are logged, briefly (see connectionErrorLog). */
export abstract class QuietWorkerHost extends WorkerHost {
  private readonly logConnectionError = connectionErrorLog(new Logger(this.constructor.name), 'worker');

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.logConnectionError(error);
  }
}
