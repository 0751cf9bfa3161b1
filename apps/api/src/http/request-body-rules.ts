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

/**
 * The only ways JSON text can put a NUL or a UTF-16 surrogate into a parsed string: as a `\u`
 * escape. A raw NUL is not valid JSON, and the body's bytes are decoded as UTF-8, which has no
 * surrogates (an encoded one decodes to U+FFFD). Text without these escapes needs no string checked.
 */
const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

function fieldName(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** A value still to be looked at, with how it was reached: its path is only spelled out for a refusal. */
interface PendingValue {
  value: unknown;
  depth: number;
  parent: PendingValue | undefined;
  key: string | number;
}

const pathOf = (node: PendingValue): string => (node.parent === undefined ? '' : fieldName(pathOf(node.parent), node.key));

/**
 * The first thing in a parsed JSON body that no endpoint may accept, or undefined. The value is
 * walked without recursion, so depth itself cannot overflow the stack here. Given the `json` text
 * it was parsed from, strings are only checked if that text has an escape that could make them
 * unstorable (most bodies have none: the booking path's CPU profile showed this walk).
 */
export function findUnacceptableJson(body: unknown, json?: string): FieldProblem | undefined {
  const checkText = json === undefined || UNSTORABLE_ESCAPE.test(json);
  const worthVisiting = (item: unknown): boolean => (item !== null && typeof item === 'object') || (checkText && typeof item === 'string');
  const pending: PendingValue[] = [{ value: body, depth: 0, parent: undefined, key: '' }];
  while (pending.length > 0) {
    const node = pending.pop() as PendingValue;
    const { value, depth } = node;
    if (typeof value === 'string') {
      if (UNSTORABLE_TEXT.test(value))
        return { field: pathOf(node) || 'body', message: 'contains a NUL character or an unpaired UTF-16 surrogate' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > MAX_JSON_NESTING)
      return { field: pathOf(node) || 'body', message: `is nested more than ${MAX_JSON_NESTING} levels deep` };
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        if (worthVisiting(value[index])) pending.push({ value: value[index], depth: depth + 1, parent: node, key: index });
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (checkText && UNSTORABLE_TEXT.test(key))
        return { field: pathOf(node) || 'body', message: 'has a field name with a NUL character or an unpaired UTF-16 surrogate' };
      const item = (value as Record<string, unknown>)[key];
      if (worthVisiting(item)) pending.push({ value: item, depth: depth + 1, parent: node, key });
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
      const problem = findUnacceptableJson(body, json);
      done(problem ? new ValidationFailed([problem]) : null, body);
    });
  });
}
