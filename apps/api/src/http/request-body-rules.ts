import type { NextFunction, Request, Response } from 'express';
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
      if (UNSTORABLE_TEXT.test(value)) return { field: path || 'body', message: 'contains a NUL character or an unpaired UTF-16 surrogate' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > MAX_JSON_NESTING) return { field: path || 'body', message: `is nested more than ${MAX_JSON_NESTING} levels deep` };
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    for (const [key, item] of entries) {
      if (typeof key === 'string' && UNSTORABLE_TEXT.test(key)) return { field: path || 'body', message: 'has a field name with a NUL character or an unpaired UTF-16 surrogate' };
      pending.push({ value: item, path: fieldName(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

/** Express middleware, right after the JSON body parser: refuses what `findUnacceptableJson` finds, as `validation_failed`. */
export function refuseUnacceptableBodies(request: Request, _response: Response, next: NextFunction): void {
  const problem = findUnacceptableJson(request.body);
  next(problem ? new ValidationFailed([problem]) : undefined);
}
