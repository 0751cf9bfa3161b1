import { createBullBoard } from '@bull-board/api';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiKeysService } from '#libs/access';
import { JobQueue } from '#libs/jobs';
import { DomainError, Forbidden, toProblem, Unauthenticated } from '#libs/shared';

/** Where operations find the queues' dashboard. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * The API key of an `Authorization` header: `Bearer <key>`, or `Basic` with the key as the
 * password (any user name). Basic is there for browsers: the dashboard's page, assets and its
 * own API calls cannot carry a Bearer header, but a browser re-sends Basic credentials by itself.
 */
export function apiKeyFromAuthorization(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const bearer = /^Bearer\s+(\S{1,512})$/i.exec(header.trim());
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return decoded.includes(':') && /^\S{1,512}$/.test(password) ? password : undefined;
}

/**
 * bull-board is an Express router mounted beside Nest, so the global `ApiKeyGuard` never sees
 * its requests: this middleware applies the same rule (operations keys only), answering in
 * the same problem-details vocabulary (401 without a valid key, 403 for other roles).
 */
export function operationsKeyMiddleware(apiKeys: ApiKeysService): RequestHandler {
  const refuse = (request: Request, response: Response, error: DomainError | unknown): void => {
    const problem = toProblem(error, request.originalUrl.split('?')[0]);
    // Lets a browser ask for the key (user name: anything, password: the operations key).
    if (problem.status === 401) response.setHeader('WWW-Authenticate', 'Basic realm="Kalma queues", charset="UTF-8"');
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
  return (request: Request, response: Response, next: NextFunction): void => {
    const key = apiKeyFromAuthorization(request.headers.authorization);
    if (!key) return refuse(request, response, new Unauthenticated('Send Authorization: Bearer <operations api key>'));
    apiKeys.authenticate(key).then(
      (principal) => {
        if (!principal) return refuse(request, response, new Unauthenticated('This API key is unknown or revoked'));
        if (principal.role !== 'operations') return refuse(request, response, new Forbidden('Only operations keys may see the queues'));
        next();
      },
      // The key store unreachable: 503 problem details (as the API answers), not Express's HTML error page.
      (error: unknown) => refuse(request, response, error),
    );
  };
}

/** Mounts bull-board on the API's Express instance, for every queue of the job catalogue. */
export function mountQueueBoard(app: INestApplication): void {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: app.get(JobQueue).allQueues().map((queue) => new BullMQAdapter(queue)),
    // @bull-board/express 9.10.1 pins its own copy of @bull-board/api 9.10.1 while we have 9.10.2:
    // the same interface at run time, but two declarations the compiler keeps apart.
    serverAdapter: serverAdapter as unknown as IServerAdapter,
  });
  app.use(QUEUE_BOARD_PATH, operationsKeyMiddleware(app.get(ApiKeysService)), serverAdapter.getRouter());
}
