import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { HTTP_METHODS, HttpMethod, OpenApiDocument, OpenApiOperation, OpenApiSchema, typeOf } from './openapi-routes';

/** One request and the answer it got, as they went over the wire. */
export interface Exchange {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  requestHeaders: IncomingHttpHeaders;
  requestBody: Buffer;
  status: number;
  responseHeaders: IncomingHttpHeaders;
  responseBody: Buffer;
}

export interface Violation {
  /** `POST /v1/bookings` (the documented route), or the method and path when none matches. */
  route: string;
  status: number;
  side: 'request' | 'response';
  message: string;
}

interface MatchedRoute {
  name: string;
  operation: OpenApiOperation;
  pathParameters: Record<string, string>;
}

const MEDIA_TYPE_PARAMETERS = /;.*$/;

const COMPONENT_BASE = 'https://kalma.example/openapi/components/schemas/';

/** A schema whose `#/components/schemas/X` references name the ids the components are added under. */
function rebase(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, `"${COMPONENT_BASE}`)) as object;
}

function mediaTypeOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['content-type'];
  return value ? value.replace(MEDIA_TYPE_PARAMETERS, '').trim().toLowerCase() : undefined;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => `${error.instancePath || '/'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`)
    .join('; ');
}

/** A query or header value as its schema types it (they travel as strings). */
function coerce(value: string, schema: OpenApiSchema | undefined): unknown {
  const type = typeOf(schema);
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/**
 * Checks requests and responses against the OpenAPI document the API serves, as a validating
 * proxy would (Prism's `proxy` mode): the route is documented, path, query and header parameters
 * and the body match their schemas (no undocumented query parameter, no body where none is
 * documented), credentials are sent where the route is secured; the status is documented for the
 * route, the content type is one it lists, and the body matches its schema. Schemas are compiled
 * with ajv as JSON Schema 2020-12, which OpenAPI 3.1 schemas are.
 */
export class OpenApiValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: { method: HttpMethod; path: string; segments: string[]; literals: number }[] = [];

  constructor(readonly document: OpenApiDocument) {
    if (!document.openapi?.startsWith('3.1')) throw new Error(`expected an OpenAPI 3.1 document, got ${document.openapi}`);
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's own schema keywords: annotations for a validator.
    this.ajv.addKeyword({ keyword: 'discriminator' });
    this.ajv.addKeyword({ keyword: 'xml' });
    this.ajv.addKeyword({ keyword: 'externalDocs' });
    // Each component schema under an id of its own; references to them are rewritten to match.
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      this.ajv.addSchema(rebase(schema), `${COMPONENT_BASE}${name}`);
    }
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of HTTP_METHODS) {
        if (!item[method]) continue;
        const segments = path.split('/');
        this.templates.push({ method, path, segments, literals: segments.filter((segment) => !segment.startsWith('{')).length });
      }
    }
    // `/v1/restrictions/preview` before `/v1/restrictions/{id}`: the most literal template wins.
    this.templates.sort((a, b) => b.literals - a.literals);
  }

  /** Validates a value against a schema of the document (refs resolve to its components). */
  check(schema: OpenApiSchema, value: unknown): string | undefined {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema));
      this.compiled.set(key, validate);
    }
    return validate(value) ? undefined : describe(validate.errors);
  }

  match(method: string, path: string): MatchedRoute | undefined {
    const segments = path.split('/');
    for (const template of this.templates) {
      if (template.method !== method.toLowerCase() || template.segments.length !== segments.length) continue;
      const pathParameters: Record<string, string> = {};
      const fits = template.segments.every((segment, index) => {
        if (/^\{.+\}$/.test(segment)) {
          try {
            pathParameters[segment.slice(1, -1)] = decodeURIComponent(segments[index]);
          } catch {
            pathParameters[segment.slice(1, -1)] = segments[index];
          }
          return segments[index] !== '';
        }
        return segment === segments[index];
      });
      if (fits) {
        const operation = this.document.paths[template.path][template.method] as OpenApiOperation;
        return { name: `${template.method.toUpperCase()} ${template.path}`, operation, pathParameters };
      }
    }
    return undefined;
  }

  validate(exchange: Exchange): Violation[] {
    const url = new URL(exchange.url, 'http://validator.invalid');
    const route = this.match(exchange.method, url.pathname);
    const violations: Violation[] = [];
    const name = route?.name ?? `${exchange.method.toUpperCase()} ${url.pathname}`;
    const add = (side: Violation['side'], message: string): void => {
      violations.push({ route: name, status: exchange.status, side, message });
    };
    if (!route) {
      add('request', 'no documented route matches');
      // An undocumented path is answered 404 with a problem: nothing else to check.
      return violations;
    }
    this.validateRequest(route, url, exchange, (message) => add('request', message));
    this.validateResponse(route, exchange, (message) => add('response', message));
    return violations;
  }

  /**
   * Checks a webhook Kalma sent against the document's `webhooks` entry for its type: the
   * Standard Webhooks headers and the body.
   */
  validateWebhook(headers: IncomingHttpHeaders, rawBody: string): string[] {
    let body: { type?: unknown };
    try {
      body = JSON.parse(rawBody) as { type?: unknown };
    } catch {
      return ['the webhook body is not JSON'];
    }
    const webhooks = (this.document as { webhooks?: Record<string, { post?: OpenApiOperation }> }).webhooks ?? {};
    const operation = webhooks[String(body.type)]?.post;
    if (!operation) return [`no webhook is documented for type ${String(body.type)}`];
    const problems: string[] = [];
    for (const parameter of operation.parameters ?? []) {
      const value = [headers[parameter.name.toLowerCase()]].flat()[0];
      if (value === undefined) {
        if (parameter.required) problems.push(`header ${parameter.name} is missing`);
        continue;
      }
      const problem = parameter.schema ? this.check(parameter.schema, value) : undefined;
      if (problem) problems.push(`header ${parameter.name}: ${problem}`);
    }
    const media = mediaTypeOf(headers);
    const schema = media ? operation.requestBody?.content?.[media]?.schema : undefined;
    if (!schema) return [...problems, `content type ${media} is not documented`];
    const problem = this.check(schema, body);
    return problem ? [...problems, `body: ${problem}`] : problems;
  }

  private validateRequest(route: MatchedRoute, url: URL, exchange: Exchange, add: (message: string) => void): void {
    const { operation } = route;
    const parameters = operation.parameters ?? [];
    for (const parameter of parameters) {
      const raw =
        parameter.in === 'path'
          ? route.pathParameters[parameter.name]
          : parameter.in === 'query'
            ? (url.searchParams.getAll(parameter.name).at(-1) ?? undefined)
            : parameter.in === 'header'
              ? [exchange.requestHeaders[parameter.name.toLowerCase()]].flat()[0]
              : undefined;
      if (raw === undefined) {
        if (parameter.required || parameter.in === 'path') add(`${parameter.in} parameter ${parameter.name} is required`);
        continue;
      }
      if (parameter.in === 'query' && url.searchParams.getAll(parameter.name).length > 1)
        add(`query parameter ${parameter.name} is given more than once`);
      const problem = parameter.schema ? this.check(parameter.schema, coerce(raw, parameter.schema)) : undefined;
      if (problem) add(`${parameter.in} parameter ${parameter.name}: ${problem}`);
    }
    for (const queryName of new Set(url.searchParams.keys())) {
      if (!parameters.some((parameter) => parameter.in === 'query' && parameter.name === queryName))
        add(`query parameter ${queryName} is not documented`);
    }
    if (operation.security && operation.security.length > 0 && !/^Bearer \S+$/.test(String(exchange.requestHeaders.authorization ?? ''))) {
      add('no Bearer credentials on a secured route');
    }

    const hasBody = exchange.requestBody.length > 0;
    const content = operation.requestBody?.content;
    if (!hasBody) {
      if (operation.requestBody?.required) add('the request body is required');
      return;
    }
    if (!content) {
      add('a body was sent to a route that documents none');
      return;
    }
    const mediaType = mediaTypeOf(exchange.requestHeaders);
    const media = mediaType ? content[mediaType] : undefined;
    if (!media) {
      add(`request content type ${mediaType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(exchange.requestBody.toString('utf8'));
    } catch {
      add('the request body is not JSON');
      return;
    }
    const problem = media.schema ? this.check(media.schema, body) : undefined;
    if (problem) add(`request body: ${problem}`);
  }

  private validateResponse(route: MatchedRoute, exchange: Exchange, add: (message: string) => void): void {
    const responses = (route.operation.responses ?? {}) as Record<
      string,
      { content?: Record<string, { schema?: OpenApiSchema }>; headers?: Record<string, { required?: boolean; schema?: OpenApiSchema }> }
    >;
    const documented = responses[String(exchange.status)] ?? responses[`${String(exchange.status)[0]}XX`];
    if (!documented) {
      add(`status ${exchange.status} is not documented (documented: ${Object.keys(responses).join(', ')})`);
      return;
    }
    for (const [headerName, header] of Object.entries(documented.headers ?? {})) {
      const value = [exchange.responseHeaders[headerName.toLowerCase()]].flat()[0];
      if (value === undefined) {
        if (header.required) add(`response header ${headerName} is missing`);
        continue;
      }
      const problem = header.schema ? this.check(header.schema, coerce(value, header.schema)) : undefined;
      if (problem) add(`response header ${headerName}: ${problem}`);
    }
    const mediaType = mediaTypeOf(exchange.responseHeaders);
    if (!documented.content) {
      if (exchange.responseBody.length > 0) add(`status ${exchange.status} documents no body, got ${mediaType}`);
      return;
    }
    const media = mediaType ? documented.content[mediaType] : undefined;
    if (!media) {
      add(`response content type ${mediaType ?? '(none)'} is not one of ${Object.keys(documented.content).join(', ')}`);
      return;
    }
    const text = exchange.responseBody.toString('utf8');
    let body: unknown = text;
    if (mediaType?.endsWith('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        add('the response body is not JSON');
        return;
      }
    }
    const problem = media.schema ? this.check(media.schema, body) : undefined;
    if (problem) add(`response body: ${problem}`);
  }
}

export interface ValidatingProxy {
  baseUrl: string;
  validator: OpenApiValidator;
  /** Every exchange that went through, with what the validator found in it. */
  exchanges: { exchange: Exchange; violations: Violation[] }[];
  violations(): Violation[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the API that validates every request and response against the
 * document (an in-process equivalent of `prism proxy`): clients talk to `baseUrl` as they would
 * to the API, and every exchange is recorded with its violations.
 */
export async function startValidatingProxy(targetBaseUrl: string, document: OpenApiDocument): Promise<ValidatingProxy> {
  const validator = new OpenApiValidator(document);
  const target = new URL(targetBaseUrl);
  const exchanges: ValidatingProxy['exchanges'] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const requestBody = Buffer.concat(chunks);
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            const exchange: Exchange = {
              method: incoming.method ?? 'GET',
              url: incoming.url ?? '/',
              requestHeaders: incoming.headers,
              requestBody,
              status: answer.statusCode ?? 0,
              responseHeaders: answer.headers,
              responseBody: Buffer.concat(answerChunks),
            };
            let violations: Violation[];
            try {
              violations = validator.validate(exchange);
            } catch (error) {
              violations = [
                {
                  route: `${exchange.method} ${exchange.url}`,
                  status: exchange.status,
                  side: 'response',
                  message: `the validator failed: ${(error as Error).message}`,
                },
              ];
            }
            exchanges.push({ exchange, violations });
            const headers = { ...answer.headers };
            delete headers.connection;
            delete headers['transfer-encoding'];
            headers['content-length'] = String(exchange.responseBody.length);
            outgoing.writeHead(exchange.status, headers);
            outgoing.end(exchange.responseBody);
          });
        },
      );
      upstream.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`proxy: ${error.message}`);
      });
      upstream.end(requestBody);
    });
  });
  // Longer than any pause of a test between two requests: a client's kept-alive connection must
  // not be closed under it (undici would see ECONNRESET).
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    validator,
    exchanges,
    violations: () => exchanges.flatMap((entry) => entry.violations),
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
