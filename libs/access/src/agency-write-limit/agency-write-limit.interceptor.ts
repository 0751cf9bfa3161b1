import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { defer, finalize, from, mergeMap, Observable } from 'rxjs';
import { Metrics, rateLimitedWarning } from '#libs/observability';
import { RateLimited } from '#libs/shared';
import { AuthenticatedRequest } from '../principal';
import { AgencyWriteLimiter, AgencyWriteRefusal } from './agency-write-limiter';

/** At most one warning about refused writes every this often (the count of those it stands for follows). */
const WARNING_INTERVAL_MS = 10_000;

const REFUSAL_REASONS: Record<AgencyWriteRefusal, string> = {
  line_full: 'too many of its writes already waiting in line (AGENCY_WRITE_QUEUE)',
  waited_too_long: 'a write waited in line longer than AGENCY_WRITE_MAX_WAIT_MS',
};

/**
 * Runs an agent's write request through its agency's line (`AgencyWriteLimiter`): at most
 * `AGENCY_WRITE_CONCURRENCY` at once in this process, and `AGENCY_WRITE_CONCURRENCY_TOTAL` of all
 * agencies together; the others wait, without a database connection, for a turn. Why: every
 * write takes a connection for its whole transaction, also while it waits on a lock, so one
 * agency's burst of cancellations behind a locked night used to take the whole pool, and every
 * other agency's bookings and reads failed with 503 when the pool's wait ran out; a night is
 * shared by every agency with stays on it, so several agencies can be stuck behind it at once.
 * A write whose line is full, or that waited AGENCY_WRITE_MAX_WAIT_MS, is 429 `rate_limited`
 * before anything of it runs. Operations keys are not limited. Interceptors
 * run after the guards, so the principal is known and a request over its rate limit never queues.
 * The turn is given back when the handler is done (its transaction over), not when the client
 * goes away: a client that drops its requests cannot free turns its writes still hold.
 */
@Injectable()
export class AgencyWriteLimitInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AgencyWriteLimitInterceptor.name);
  private readonly warn = rateLimitedWarning(this.logger, WARNING_INTERVAL_MS);

  constructor(
    private readonly limiter: AgencyWriteLimiter,
    private readonly metrics: Metrics,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    const agencyId = principal?.role === 'agent' ? principal.agencyId : null;
    if (!agencyId) return next.handle();
    return defer(() => {
      const turn = this.limiter.acquire(agencyId);
      this.observeLines();
      return from(turn);
    }).pipe(
      mergeMap((turn) => {
        this.observeLines();
        if ('refused' in turn) {
          this.metrics.agencyWritesRefused.inc({ reason: turn.refused });
          // The agency's id only: what its writes were about may name guests.
          this.warn(
            `refused a write of agency ${agencyId} with 429: ${REFUSAL_REASONS[turn.refused]}; ` +
              'its writes may be stuck behind a lock (long transactions in pg_stat_activity)',
          );
          throw new RateLimited(1);
        }
        return next.handle().pipe(
          finalize(() => {
            turn.release();
            this.observeLines();
          }),
        );
      }),
    );
  }

  private observeLines(): void {
    this.metrics.agencyWritesWaiting.set(this.limiter.waiting);
    this.metrics.agencyWritesRunning.set(this.limiter.running);
  }
}
