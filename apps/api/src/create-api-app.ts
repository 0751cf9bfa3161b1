import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '#libs/config';
import { createValidationPipe, ProblemDetailsFilter } from '#libs/shared';
import { mountQueueBoard } from './admin/queue-board';
import { ApiModule } from './api.module';
import { answerClientErrorsWithProblems } from './http/client-error-problems';
import { refuseUnacceptableBodies } from './http/request-body-rules';

/** Largest request body accepted: a party of 50 guests is a few kilobytes. */
const BODY_LIMIT = '256kb';

/** Builds the API application (used by main.ts and by the in-process tests). */
export async function createApiApp(): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  // Helmet first: its headers then go on every response, including the body parser's
  // refusals (invalid JSON, body too large), which never reach later middleware.
  app.use(helmet({ contentSecurityPolicy: false }));
  app.useBodyParser('json', { limit: BODY_LIMIT, strict: true });
  app.use(refuseUnacceptableBodies);
  app.set('x-powered-by', false);
  app.set('trust proxy', false);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  answerClientErrorsWithProblems(app.getHttpServer());
  // Express-mounted before Nest registers its routes; guarded by its own operations-key middleware.
  mountQueueBoard(app);

  const config = app.get(AppConfig);
  if (config.DOCS_ENABLED) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Kalma')
        .setDescription(
          'Booking and capacity backend of the Kalma coastal resort. Authenticate with `Authorization: Bearer <api key>`. ' +
            'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`. Dates are YYYY-MM-DD in the resort time zone; ' +
            'date ranges include `from` and exclude `to`, like a stay.',
        )
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an agent or operations API key' })
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}
