import type { Duplex } from 'node:stream';
import { HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '#libs/shared';

interface ClientErrorAnswer {
  status: number;
  reason: string;
  code: string;
  title: string;
}

const ANSWERS_BY_ERROR_CODE: Record<string, ClientErrorAnswer> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'headers_too_large',
    title: 'The request line or headers are too large',
  },
  HPE_URI_TOO_LONG: { status: 414, reason: 'URI Too Long', code: 'uri_too_long', title: 'The URL is too long' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    code: 'request_timeout',
    title: 'The request took too long to arrive',
  },
};

const MALFORMED: ClientErrorAnswer = { status: 400, reason: 'Bad Request', code: 'bad_request', title: 'The request is not valid HTTP' };

/**
 * Requests that Node's HTTP parser refuses (a URL or headers over the size limit, malformed
 * HTTP) never reach a route; Fastify would answer them with its own JSON. This answers with
 * a problem document instead, like every other error of the API, and closes the connection.
 * Installed as Fastify's `clientErrorHandler`.
 */
export function answerClientErrorWithProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, reason, code, title } = ANSWERS_BY_ERROR_CODE[error.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify({ type: `https://kalma.example/problems/${code.replace(/_/g, '-')}`, title, status, code });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Requests Fastify's router refuses before any route or hook runs: a path that is not valid
 * percent-encoding (400) or a path parameter longer than `maxParamLength` (414). Installed as
 * Fastify's `frameworkErrors`, so they too get a problem document instead of Fastify's JSON.
 */
export function answerFrameworkErrorWithProblem(
  error: Error & { statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode === 414 ? 414 : 400;
  const problem = toProblem(new HttpException(error.message, status), request.url.split('?')[0]);
  void reply.status(status).header('X-Content-Type-Options', 'nosniff').type('application/problem+json').send(JSON.stringify(problem));
}
