import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Params, PinoLogger } from 'nestjs-pino';
import type { Level } from 'pino';
import { AppConfig } from '#libs/config';
import { loggableUrl, logSerializers } from '#libs/observability';

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

/**
 * nestjs-pino gives the application its JSON logger (`Logger`, used by Nest and every service).
 * It mounts no request middleware here (`forRoutes: []`): requests are logged by `logRequests`,
 * a Fastify hook. Why: Nest middleware on Fastify runs through @fastify/middie, and that layer
 * plus pino-http's per-request child logger cost about a fifth of the API's CPU per booking
 * (measured, see BENCHMARKS.md). API keys are never logged: no header is, and the
 * Authorization header is redacted should one ever be. Request bodies are never logged (they
 * carry guests' personal data), and errors only through `logSerializers`' allow-list.
 */
export function loggingParams(config: AppConfig): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level: config.LOG_LEVEL,
      serializers: logSerializers,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
  };
}

/** Success at debug, client errors at info, server errors at error. */
export function requestLogLevelOf(statusCode: number): Level {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'info' : 'debug';
}

/**
 * One JSON line per finished request, with its id, method, URL, status and time, through the
 * application's root logger (`Logger` must have been created, as `app.useLogger` does). A
 * Fastify hook, so it also sees what Nest never handles (parser refusals, the queue board).
 * The line is built only when its level is enabled.
 */
export function logRequests(fastify: FastifyInstance): void {
  const logger = PinoLogger.root;
  if (!logger) throw new Error('logRequests needs the nestjs-pino Logger created first (app.useLogger)');
  fastify.addHook('onResponse', (request, reply, done) => {
    const level = requestLogLevelOf(reply.statusCode);
    if (logger.isLevelEnabled(level)) {
      logger[level](
        // Not `req`/`res`: the logger's pino-http serializers expect Node's request and response
        // objects there (a plain object's statusCode would come out null).
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
