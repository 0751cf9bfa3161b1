import { createBullBoard } from '@bull-board/api';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ApiKeysService } from '#libs/access';
import { JobQueue } from '#libs/jobs';
import { DomainError, Forbidden, toProblem, Unauthenticated } from '#libs/shared';
import { apiKeyFromAuthorization } from './api-key-from-authorization';

/** Where operations find the queues' dashboard. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * bull-board is a Fastify plugin registered beside Nest, so the global `ApiKeyGuard` never sees
 * its requests: this hook applies the same rule (operations keys only), answering in the same
 * problem-details vocabulary (401 without a valid key, 403 for other roles).
 */
export function operationsKeyHook(apiKeys: ApiKeysService): onRequestAsyncHookHandler {
  const refuse = (request: FastifyRequest, reply: FastifyReply, error: DomainError | unknown): FastifyReply => {
    const problem = toProblem(error, request.url.split('?')[0]);
    // Lets a browser ask for the key (user name: anything, password: the operations key).
    if (problem.status === 401) reply.header('WWW-Authenticate', 'Basic realm="Kalma queues", charset="UTF-8"');
    return reply.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
  return async (request, reply) => {
    const key = apiKeyFromAuthorization(request.headers.authorization);
    if (!key) return refuse(request, reply, new Unauthenticated('Send Authorization: Bearer <operations api key>'));
    let principal: Awaited<ReturnType<ApiKeysService['authenticate']>>;
    try {
      principal = await apiKeys.authenticate(key);
    } catch (error) {
      // The key store unreachable: 503 problem details, as the API answers.
      return refuse(request, reply, error);
    }
    if (!principal) return refuse(request, reply, new Unauthenticated('This API key is unknown or revoked'));
    if (principal.role !== 'operations') return refuse(request, reply, new Forbidden('Only operations keys may see the queues'));
  };
}

/** Registers bull-board on the API's Fastify instance, for every queue of the job catalogue. */
export async function mountQueueBoard(app: NestFastifyApplication): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: app.get(JobQueue).allQueues().map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api 9.10.1 while we have 9.10.2:
    // the same interface at run time, but two declarations the compiler keeps apart.
    serverAdapter: serverAdapter as unknown as IServerAdapter,
  });
  const apiKeys = app.get(ApiKeysService);
  // One encapsulated scope: the key check applies to bull-board's routes only.
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', operationsKeyHook(apiKeys));
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}
