import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loggableUrl } from '#libs/observability';
import { isForeignKeyViolation } from './database-errors';
import { DomainError, NotFound, RateLimited, ServiceUnavailable } from './domain-error';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

const CODES_BY_STATUS: Record<number, { code: string; title: string }> = {
  400: { code: 'validation_failed', title: 'The request is not valid' },
  401: { code: 'unauthenticated', title: 'A valid API key is required' },
  403: { code: 'forbidden', title: 'This API key may not do that' },
  404: { code: 'not_found', title: 'Not found' },
  405: { code: 'method_not_allowed', title: 'Method not allowed' },
  413: { code: 'payload_too_large', title: 'The request body is too large' },
  414: { code: 'uri_too_long', title: 'The URL is too long' },
  415: { code: 'unsupported_media_type', title: 'Send JSON (application/json)' },
  429: { code: 'rate_limited', title: 'Too many requests' },
};

/** Errors of the database driver that mean "try again shortly", not "your request is wrong". */
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03', // admin shutdown, crash shutdown, cannot connect now
  '08000',
  '08003',
  '08006',
  '08001',
  '08004', // connection exceptions
  '53300', // too many connections
  '40001',
  '40P01', // serialization failure, deadlock (retried already; surfacing as 503)
]);

/**
 * TypeORM's errors for a query runner whose connection it released after the connection broke
 * (it releases the runner as soon as the driver reports the error, so the transaction's next
 * statement, or its rollback, meets a released runner): a lost connection, not a bug in the request.
 */
const CONNECTION_LOST_ERROR_NAMES = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

export function isTransientInfrastructureError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code)) return true;
  if (CONNECTION_LOST_ERROR_NAMES.has(error.name)) return true;
  const driverError = (error as { driverError?: unknown }).driverError;
  if (driverError && driverError !== error) return isTransientInfrastructureError(driverError);
  // pg's messages for a connection that broke or never came: "Connection terminated unexpectedly",
  // "Client has encountered a connection error and is not queryable", "Client was closed and is not queryable", ...
  return /Connection terminated|terminating connection|Connection is closed|is not queryable|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(
    error.message,
  );
}

export function toProblem(error: unknown, instance?: string): ProblemDocument {
  if (error instanceof DomainError) {
    return {
      type: `https://kalma.example/problems/${error.code.replace(/_/g, '-')}`,
      title: error.title,
      status: error.status,
      code: error.code,
      detail: error.message,
      instance,
      ...error.extensions,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const known = CODES_BY_STATUS[status] ?? { code: 'http_error', title: HttpStatus[status] ?? 'Error' };
    const response = error.getResponse();
    const detail =
      typeof response === 'object' && response !== null && 'message' in response ? [response.message].flat().join('; ') : error.message;
    return {
      type: `https://kalma.example/problems/${known.code.replace(/_/g, '-')}`,
      title: known.title,
      status,
      code: known.code,
      detail,
      instance,
      // Every validation_failed lists what was wrong (the router's refusals of a path included).
      ...(known.code === 'validation_failed' ? { errors: [{ field: 'request', message: detail }] } : {}),
    };
  }
  // A foreign key the code did not check first (or a race with a check): the request named a
  // row that does not exist. The code checks first to name the resource; this is the backstop.
  if (isForeignKeyViolation(error)) return toProblem(new NotFound('A resource this request names'), instance);
  return toProblem(
    isTransientInfrastructureError(error)
      ? new ServiceUnavailable('The database or queue is unreachable right now; retry shortly')
      : new InternalError(),
    instance,
  );
}

class InternalError extends DomainError {
  readonly code = 'internal_error';
  readonly status = 500;
  readonly title = 'Internal error';
  constructor() {
    super('Something went wrong on our side; it has been logged');
  }
}

/** Fastify's own refusals (body too large, unsupported media type, …) carry an `FST_` code and a 4xx status. */
function fromFastify(error: unknown): HttpException | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499)
    return undefined;
  return new HttpException(error.message, statusCode);
}

/**
 * The throttler's own exception (e.g. from `@Throttle` on a route) becomes `rate_limited`; the
 * guard has already set Retry-After on the response, which is kept.
 */
function fromThrottler(error: unknown, response: FastifyReply): RateLimited | undefined {
  if (!(error instanceof ThrottlerException)) return undefined;
  const retryAfter = Number(response.getHeader('Retry-After'));
  return new RateLimited(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.ceil(retryAfter) : 60);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const response = context.getResponse<FastifyReply>();
    const request = context.getRequest<FastifyRequest>();
    const error = fromFastify(exception) ?? fromThrottler(exception, response) ?? exception;
    const problem = toProblem(error, request.url?.split('?')[0]);

    if (problem.status >= 500) {
      // Keep the original error and its stack: the problem document deliberately says little.
      // The request is named explicitly: request logging is a Fastify hook with no per-request
      // logger context for this line to inherit.
      this.logger.error(
        { err: exception, code: problem.code, request: { id: request.id, method: request.method, url: loggableUrl(request.url) } },
        `request failed: ${problem.code}`,
      );
    }
    if (error instanceof RateLimited) response.header('Retry-After', String(error.retryAfterSeconds));
    if (problem.status === 503) response.header('Retry-After', '1');
    if (response.sent) return;
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
