import type { FastifyInstance } from 'fastify';
import { Metrics } from '#libs/observability';

/**
 * Records every response's latency, labelled by route pattern (`/v1/bookings/:id`, not the raw
 * URL, to bound cardinality; `unmatched` for 404s of unknown paths). A Fastify hook rather than
 * Nest middleware: it also sees responses Nest never handles (body parser refusals, the queue board).
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
