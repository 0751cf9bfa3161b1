import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';

/**
 * Every answer that is one booking carries `ETag: "<version>"` (what `If-Match` then names). A
 * stored Idempotency-Key answer replayed later carries the ETag of the booking as it was then,
 * like the rest of that first answer. Lists and problem documents carry none.
 */
@Injectable()
export class BookingETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const version = isBooking(body) ? body.version : undefined;
        if (version !== undefined) response.header('ETag', `"${version}"`);
        return body;
      }),
    );
  }
}

function isBooking(body: unknown): body is { reference: string; version: number } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { reference?: unknown }).reference === 'string' &&
    Number.isInteger((body as { version?: unknown }).version)
  );
}
