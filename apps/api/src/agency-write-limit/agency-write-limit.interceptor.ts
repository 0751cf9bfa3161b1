import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { defer, finalize, from, mergeMap, Observable } from 'rxjs';
import { AuthenticatedRequest } from '#libs/access';
import { agencyWriteConcurrency, AppConfig } from '#libs/config';
import { Metrics } from '#libs/observability';
import { MemoizedReflector, OUTSIDE_AGENCY_WRITE_LIMIT, RateLimited } from '#libs/shared';
import { AgencyWriteLimiter } from './agency-write-limiter';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs an agent's write requests through its agency's line (`AgencyWriteLimiter`): at most
 * `AGENCY_WRITE_CONCURRENCY` at once in this process, the others waiting, without a database
 * connection, for a turn. Why: every write takes a connection for its whole transaction, also
 * while it waits on a lock, so one agency's burst of cancellations behind a locked night used to
 * take the whole pool, and every other agency's bookings and reads failed with 503 when the
 * pool's wait ran out. A write whose line is full, or that waited AGENCY_WRITE_MAX_WAIT_MS, is
 * 429 `rate_limited` before anything of it runs. Reads, operations keys and new bookings (see
 * `OutsideAgencyWriteLimit`) are not limited. Registered after the guards have run, so the
 * principal is known and a request over its rate limit never queues.
 */
@Injectable()
export class AgencyWriteLimitInterceptor implements NestInterceptor {
  private readonly reflector = new MemoizedReflector();
  private readonly limiter: AgencyWriteLimiter;

  constructor(
    config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.limiter = new AgencyWriteLimiter({
      concurrency: agencyWriteConcurrency(config),
      maxWaiting: config.AGENCY_WRITE_QUEUE,
      maxWaitMs: config.AGENCY_WRITE_MAX_WAIT_MS,
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const agencyId = request.principal?.role === 'agent' ? request.principal.agencyId : null;
    if (!agencyId || READ_METHODS.has(request.method) || this.reflector.get<boolean>(OUTSIDE_AGENCY_WRITE_LIMIT, context.getHandler())) {
      return next.handle();
    }
    return defer(() => {
      const turn = this.limiter.acquire(agencyId);
      this.metrics.agencyWritesWaiting.set(this.limiter.waiting);
      return from(turn);
    }).pipe(
      mergeMap((turn) => {
        this.metrics.agencyWritesWaiting.set(this.limiter.waiting);
        if ('refused' in turn) {
          this.metrics.agencyWritesRefused.inc({ reason: turn.refused });
          throw new RateLimited(1);
        }
        return next.handle().pipe(finalize(() => turn.release()));
      }),
    );
  }
}
