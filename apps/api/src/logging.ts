import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { RequestMethod } from '@nestjs/common';
import { Params } from 'nestjs-pino';
import { AppConfig } from '#libs/config';

/**
 * The id of a request: the caller's `x-request-id` when it is a sane token, else a new one.
 * Fastify's `genReqId`: it becomes `request.id`, which pino-http puts on every log line of the
 * request and `echoRequestIds` sends back.
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
 * JSON logs with a request id on every line of a request (see `requestIdOf`). API keys are
 * never logged: the Authorization header is redacted.
 */
export function loggingParams(config: AppConfig): Params {
  return {
    // Every path. nestjs-pino's default ('{/*splat}') reaches @fastify/middie as '/{/*splat}',
    // which matches no request: no request would be logged.
    forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.LOG_LEVEL,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'info' : 'debug'),
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
      },
    },
  };
}
