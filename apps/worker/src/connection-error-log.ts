import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { QUEUES } from '#libs/jobs';
import { rateLimitedWarning } from '#libs/observability';

/** While Redis is unreachable, one warning per source at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * An 'error' listener for a BullMQ queue or worker. Without one, BullMQ prints the stack trace
 * of every failed reconnection to stderr (hundreds a minute while Redis is down); this logs one
 * warning per source every ten seconds instead. BullMQ reconnects by itself, and no job is
 * lost: PostgreSQL is the source of truth.
 */
export function connectionErrorLog(logger: Logger, source: string): (error: Error) => void {
  const warn = rateLimitedWarning(logger, ERROR_LOG_INTERVAL_MS);
  return (error) => warn(`${source}: Redis connection error: ${error.message}`);
}

/** The queues `BullModule.registerQueue` creates for the processors get the same listener. */
@Injectable()
export class RegisteredQueueErrorLog implements OnModuleInit {
  private readonly logger = new Logger('Queues');

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of Object.values(QUEUES)) {
      this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }).on('error', connectionErrorLog(this.logger, `queue ${name}`));
    }
  }
}
