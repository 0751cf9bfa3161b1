import type { FastifyInstance } from 'fastify';

/**
 * Once the server is closing, every response says `Connection: close`.
 *
 * Why: Fastify's close waits until every connection has ended. Node 20 closes the keep-alive
 * connections that are idle when the close starts, but not one whose request is still running
 * then: after its response that connection stays open (idle, until the client's or the 72 s
 * keep-alive timeout), and the process with it, until the supervisor kills it. With this header
 * the client gets its answer and the connection ends with it, so a SIGTERM finishes the
 * requests in flight and exits.
 */
export function closeConnectionsOnShutdown(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
