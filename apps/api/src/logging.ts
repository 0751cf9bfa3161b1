import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Level, Logger } from 'pino';
import { loggableUrl } from '#libs/observability';

/**
 * The id of a request: the caller's `x-request-id` when it is a sane token, else a new one.
 * Fastify's `genReqId`: it becomes `request.id`, which every request log line carries and
 * `echoRequestIds` sends back.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}

/** Sends every request's id back in `x-request-id`, so a caller can quote it to operations. */
export function echoRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}

/** Success at debug, client errors at info, server errors at error. */
export function requestLogLevelOf(statusCode: number): Level {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'info' : 'debug';
}

/**
 * One line per finished request, with its id, method, URL, status and time, through the
 * application's root logger (`AppLogger.pino`). The line is built only when its level is enabled.
 * A Fastify hook, not Nest middleware, so it also sees what Nest never handles (parser refusals,
 * the queue board), and because Nest middleware on Fastify runs through @fastify/middie: that
 * layer plus pino-http's per-request child logger cost about a fifth of the API's CPU per
 * booking (measured, see BENCHMARKS.md). API keys are never logged: no header is, and the
 * Authorization header is redacted should one ever be. Request bodies are never logged (they
 * carry guests' personal data), and errors only through `logSerializers`' allow-list.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const level = requestLogLevelOf(reply.statusCode);
    if (logger.isLevelEnabled(level)) {
      logger[level](
        // Not `req`/`res`: those are the names whose headers are redacted, for Node's request
        // and response objects; this line carries neither.
        {
          request: { id: request.id, method: request.method, url: loggableUrl(request.url) },
          response: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}
