import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppConfig } from '#libs/config';
import { ServiceUnavailable, toProblem } from '#libs/shared';

/** Where the web console is served (PRODUCT.md "The console"). */
export const CONSOLE_PATH = '/console';

/** dist/console, built by `npm run build` (vite) beside dist/apps/api/src/http/console.js. */
const CONSOLE_ROOT = path.resolve(__dirname, '../../../../console');

/**
 * The console's own scripts, styles and API calls only: no inline script, no other origin, no
 * framing. (The API's other responses carry no CSP: they are JSON, and /docs needs inline scripts.)
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What the console needs to know of the resort before it signs in: public, no secrets. */
export interface ConsoleSettings {
  timeZone: string;
  homeCountry: string;
}

function withConsoleHeaders(reply: FastifyReply): FastifyReply {
  return (
    reply
      .header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY)
      // The page's address never travels to another site (it holds no key, but says who uses it).
      .header('referrer-policy', 'no-referrer')
  );
}

/**
 * Serves the console's static files from the API process: GET /console (the page, never cached,
 * so a new build is picked up), /console/assets/* (content-hashed, cached for a year) and
 * /console/settings.json. Registered beside Nest's routes, like the queue board: the page is
 * public, and the key a person pastes into it goes out only as the Bearer header of API calls.
 */
export async function mountConsole(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  const indexFile = path.join(CONSOLE_ROOT, 'index.html');
  const page = existsSync(indexFile) ? readFileSync(indexFile) : null;
  const settings: ConsoleSettings = { timeZone: config.RESORT_TIMEZONE, homeCountry: config.RESORT_HOME_COUNTRY };
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      withConsoleHeaders(reply);
      return payload;
    });
    const sendPage = async (_request: unknown, reply: FastifyReply) => {
      if (!page) {
        const problem = toProblem(new ServiceUnavailable('The console is not built: npm run build builds it'), CONSOLE_PATH);
        return reply.status(503).type('application/problem+json').send(JSON.stringify(problem));
      }
      return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(page);
    };
    scope.get(CONSOLE_PATH, sendPage);
    scope.get(`${CONSOLE_PATH}/`, sendPage);
    scope.get(`${CONSOLE_PATH}/settings.json`, async (_request, reply) => reply.header('cache-control', 'no-cache').send(settings));
    if (page) {
      await scope.register(fastifyStatic, {
        root: path.join(CONSOLE_ROOT, 'assets'),
        prefix: `${CONSOLE_PATH}/assets/`,
        index: false,
        decorateReply: false,
        setHeaders: (reply) => {
          reply.header('cache-control', 'public, max-age=31536000, immutable');
        },
      });
    }
  });
}
