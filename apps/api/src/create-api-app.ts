import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { acceptCreateBookingBody, CreateBookingDto, sendBookingETags } from '#libs/bookings';
import { AppConfig } from '#libs/config';
import { AppLogger, Metrics } from '#libs/observability';
import { createValidationPipe, ProblemDetailsFilter } from '#libs/shared';
import { mountQueueBoard } from './admin/queue-board';
import { ApiModule } from './api.module';
import { recordHttpMetrics } from './metrics/http-metrics';
import { answerClientErrorWithProblem, answerFrameworkErrorWithProblem } from './http/client-error-problems';
import { closeConnectionsOnShutdown } from './http/close-connections-on-shutdown';
import { mountConsole } from './http/console';
import { echoRequestIds, logRequests, requestIdOf } from './logging';
import { parseJsonBodiesStrictly } from './http/request-body-rules';
import { createOpenApiDocument } from './openapi/openapi-document';

/** Largest request body accepted: a party of 50 guests is a few kilobytes. */
const BODY_LIMIT_BYTES = 256 * 1024;
/** A request whose headers and body have not fully arrived by then is answered 408 (slow-client protection). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Builds the API application (used by main.ts). Fastify rather than Express: on the booking hot
 * path the HTTP layer is a large share of the CPU each request costs (see BENCHMARKS.md).
 */
export async function createApiApp(config: AppConfig): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // request.ip is the address authentication failures are limited by: the TCP peer unless
    // operations say how many proxies of theirs stand in front (then X-Forwarded-For, that many
    // hops from the right; what a client writes further left is not believed).
    // (hop 0 is the TCP peer: trusting hops 0..n-1 is proxy-addr's "n hops".)
    trustProxy: config.TRUSTED_PROXY_HOPS === 0 ? false : (_address: string, hop: number) => hop < config.TRUSTED_PROXY_HOPS,
    genReqId: requestIdOf,
    requestIdHeader: false,
    // A UUID is 36 characters; longer ids still reach the route and are refused as validation_failed.
    routerOptions: { maxParamLength: 1_000 },
    clientErrorHandler: answerClientErrorWithProblem,
    frameworkErrors: answerFrameworkErrorWithProblem,
    // No Nest middleware: everything per request is a Fastify hook (logging, metrics, request
    // ids), which spares each request the @fastify/middie layer (see logging.ts).
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule, adapter, { bufferLogs: true, bodyParser: false });
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  // Nest's helmet-equivalent headers, on every response (404s and parser refusals included).
  // No Content-Security-Policy here: the API serves JSON, and /docs needs inline scripts; the
  // console's responses carry their own (http/console.ts).
  app.useSecurityHeaders({ contentSecurityPolicy: false });
  const fastify = app.getHttpAdapter().getInstance();
  // Nest's own parsers are off (bodyParser: false): JSON is the only body the API takes.
  parseJsonBodiesStrictly(fastify, BODY_LIMIT_BYTES);
  logRequests(fastify, logger.pino);
  recordHttpMetrics(fastify, app.get(Metrics));
  echoRequestIds(fastify);
  sendBookingETags(fastify);
  closeConnectionsOnShutdown(fastify);
  // Booking bodies, the most frequent, take the compiled check first (libs/bookings create-booking.fast-path.ts).
  app.useGlobalPipes(createValidationPipe([[CreateBookingDto, acceptCreateBookingBody]]));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  // Registered beside Nest's routes; guarded by its own operations-key hook.
  await mountQueueBoard(app);
  // The web console's static files (public; it signs in with a key and calls the API above).
  await mountConsole(app);

  if (config.DOCS_ENABLED) {
    SwaggerModule.setup('docs', app, createOpenApiDocument(app, config), { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}
