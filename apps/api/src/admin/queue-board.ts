import { createBullBoard } from '@bull-board/api';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { Principal, RequestAuthentication } from '#libs/access';
import { AppConfig } from '#libs/config';
import { JobQueue } from '#libs/jobs';
import { Forbidden, RateLimited, toProblem } from '#libs/shared';
import { keyTracker, PER_KEY_THROTTLER, RATE_LIMIT_WINDOW_MS } from '../rate-limit/rate-limit-window';
import { RedisThrottlerStorage } from '../rate-limit/redis-throttler-storage';
import { apiKeyFromAuthorization } from './api-key-from-authorization';

/** Where operations find the queues' dashboard. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * bull-board is a Fastify plugin registered beside Nest, so the global guards never see its
 * requests: this hook applies the same rules — operations keys only, failures limited per client
 * address (`AUTH_FAILURES_PER_MINUTE`), and the key's `RATE_LIMIT_PER_MINUTE` shared with its API
 * calls — answering in the same problem-details vocabulary (401, 403, 429 with Retry-After).
 */
export function operationsKeyHook(
  authentication: RequestAuthentication,
  rateLimits: RedisThrottlerStorage,
  config: AppConfig,
): onRequestAsyncHookHandler {
  const refuse = (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply => {
    const problem = toProblem(error, request.url.split('?')[0]);
    // Lets a browser ask for the key (user name: anything, password: the operations key).
    if (problem.status === 401) reply.header('WWW-Authenticate', 'Basic realm="Kalma queues", charset="UTF-8"');
    if (error instanceof RateLimited) reply.header('Retry-After', String(error.retryAfterSeconds));
    return reply.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
  return async (request, reply) => {
    let principal: Principal;
    try {
      principal = await authentication.principalOf(
        request.ip,
        apiKeyFromAuthorization(request.headers.authorization),
        'Send Authorization: Bearer <operations api key>',
      );
    } catch (error) {
      // 401, 429, or 503 problem details when the key store is unreachable, as the API answers.
      return refuse(request, reply, error);
    }
    if (principal.role !== 'operations') return refuse(request, reply, new Forbidden('Only operations keys may see the queues'));
    // The same counter as the RateLimitGuard's for this key.
    const limit = await rateLimits.increment(
      keyTracker(principal.keyId),
      RATE_LIMIT_WINDOW_MS,
      config.RATE_LIMIT_PER_MINUTE,
      0,
      PER_KEY_THROTTLER,
    );
    if (limit.isBlocked) return refuse(request, reply, new RateLimited(Math.max(1, limit.timeToBlockExpire)));
  };
}

/** Registers bull-board on the API's Fastify instance, for every queue of the job catalogue. */
export async function mountQueueBoard(app: NestFastifyApplication): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: app
      .get(JobQueue)
      .allQueues()
      .map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api 9.10.1 while we have 9.10.2:
    // the same interface at run time, but two declarations the compiler keeps apart.
    serverAdapter: serverAdapter as unknown as IServerAdapter,
  });
  const hook = operationsKeyHook(app.get(RequestAuthentication), app.get(RedisThrottlerStorage), app.get(AppConfig));
  // One encapsulated scope: the key check applies to bull-board's routes only.
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', hook);
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}
