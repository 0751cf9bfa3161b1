import type { FastifyInstance } from 'fastify';
import { FieldProblem, ValidationFailed } from '#libs/shared';

/**
 * Deepest nesting a request body may have. Kalma's bodies are 3 levels deep (a booking's
 * guests); the transformers and validators behind the parser recurse once per level, so a
 * body of `[[[[…` a few thousand levels deep would overflow the stack (a 500) instead of
 * being refused.
 */
export const MAX_JSON_NESTING = 32;

/**
 * Text PostgreSQL cannot store: NUL (refused in `text` and `jsonb`) and UTF-16 surrogates
 * without their pair (not Unicode at all; `jsonb` refuses their escapes). Refused up front
 * as `validation_failed` rather than failing in the database as a 500.
 */
// eslint-disable-next-line no-control-regex -- NUL is what this pattern is for
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fieldName(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/**
 * The first thing in a parsed JSON body that no endpoint may accept, or undefined. The value is
 * walked without recursion, so depth itself cannot overflow the stack here.
 */
export function findUnacceptableJson(body: unknown): FieldProblem | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value))
        return { field: path || 'body', message: 'contains a NUL character or an unpaired UTF-16 surrogate' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > MAX_JSON_NESTING) return { field: path || 'body', message: `is nested more than ${MAX_JSON_NESTING} levels deep` };
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    for (const [key, item] of entries) {
      if (typeof key === 'string' && UNSTORABLE_TEXT.test(key))
        return { field: path || 'body', message: 'has a field name with a NUL character or an unpaired UTF-16 surrogate' };
      pending.push({ value: item, path: fieldName(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Replaces Fastify's body parsers with its JSON parser (prototype-poisoning keys refused)
 * followed by Kalma's rules: the body is an object or an array (a bare string or number is
 * not a request), an empty body counts as `{}`, and what `findUnacceptableJson` finds is
 * refused. Every refusal is `validation_failed`, through the exception filter.
 */
export function parseJsonBodiesStrictly(fastify: FastifyInstance, bodyLimit: number): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // Fastify also reads text/plain bodies by default: refused here (415), as every other type is.
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, text, done) => {
    const json = String(text);
    if (json.trim() === '') return done(null, {});
    // The callback form of Fastify's parser type, which returns nothing (`void`: the type is a
    // union with the promise form).
    void parseJson(request, json, (error, body) => {
      if (error) return done(ValidationFailed.field('body', 'is not valid JSON'));
      if (body === null || typeof body !== 'object') return done(ValidationFailed.field('body', 'must be a JSON object'));
      const problem = findUnacceptableJson(body);
      done(problem ? new ValidationFailed([problem]) : null, body);
    });
  });
}
