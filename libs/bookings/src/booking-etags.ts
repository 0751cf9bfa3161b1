import type { FastifyInstance } from 'fastify';

/**
 * Every answer that is one booking carries `ETag: "<version>"` (what `If-Match` then names). A
 * stored Idempotency-Key answer replayed later carries the ETag of the booking as it was then,
 * like the rest of that first answer. Lists and problem documents carry none.
 *
 * A Fastify `preSerialization` hook rather than a Nest interceptor: an interceptor wraps every
 * booking request in an RxJS pipeline, which on the booking hot path cost about a fifth of the
 * API's CPU per booking (BENCHMARKS.md); this is one property check per answer.
 */
export function sendBookingETags(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', async (request, reply, payload: unknown) => {
    if (request.url.startsWith('/v1/bookings') && isBooking(payload)) reply.header('ETag', `"${payload.version}"`);
    return payload;
  });
}

function isBooking(body: unknown): body is { reference: string; version: number } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { reference?: unknown }).reference === 'string' &&
    Number.isInteger((body as { version?: unknown }).version)
  );
}
