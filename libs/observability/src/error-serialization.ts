/**
 * How an error appears in a log line, for the API and the worker alike (both loggers use
 * `logSerializers`; code that puts an error into a message string uses `describeError`).
 *
 * An explicit allow-list, not "every property": the errors of the database driver carry the
 * failed statement's values (`parameters`, `detail` — "Key (passport)=(…)", `where`), and
 * TypeORM's QueryFailedError adds `query` and `parameters`. Those values are guests' names,
 * passport numbers and dates of birth, so no field outside this list is ever written. The
 * message and stack stay (they are what an operator needs), with the values PostgreSQL quotes
 * into some messages ('invalid input syntax for type date: "…"') blanked out.
 */

/** Fields of an error that name what failed, never the data it failed on. */
const CODE_FIELDS = [
  'code',
  'errno',
  'syscall',
  'severity',
  'routine',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'file',
  'line',
  'status',
  'statusCode',
] as const;

/** Errors wrapped in errors (TypeORM's driverError, `cause`) are followed this deep. */
const MAX_DEPTH = 3;

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  [field: string]: unknown;
}

/**
 * PostgreSQL quotes identifiers after a keyword (`constraint "x"`, `relation "x"`, `column "x"`)
 * and values after a colon or an equals sign (`for type uuid: "x"`, `Key (id)=(x)`). The first
 * kind is kept, every other quoted or bracketed run is blanked.
 */
const QUOTED =
  /(\b(?:constraint|relation|column|table|index|type|function|schema|database|role|operator|sequence|trigger|view|extension|cursor|savepoint|prepared statement|portal|channel)\s+)?"(?:[^"\\]|\\.)*"/gi;
const KEY_VALUES = /=\((?:[^()]|\([^()]*\))*\)/g;

export function redactQuotedValues(text: string): string {
  return text
    .replace(QUOTED, (match, keyword: string | undefined) => (keyword ? match : '"[redacted]"'))
    .replace(KEY_VALUES, '=([redacted])');
}

/** A SerializedError for an object or a string; any other value (a number, undefined…) as it is. */
export function serializeError(error: unknown, depth = 0): unknown {
  if (typeof error !== 'object' || error === null) {
    return typeof error === 'string' ? { type: 'string', message: redactQuotedValues(error) } : error;
  }
  const source = error as Record<string, unknown>;
  const serialized: SerializedError = {
    type: typeof source.type === 'string' ? source.type : (error.constructor?.name ?? 'Object'),
    message: redactQuotedValues(typeof source.message === 'string' ? source.message : ''),
  };
  if (typeof source.stack === 'string') serialized.stack = redactQuotedValues(source.stack);
  for (const field of CODE_FIELDS) {
    const value = source[field];
    if (typeof value === 'string' || typeof value === 'number') serialized[field] = value;
  }
  if (depth < MAX_DEPTH) {
    const inner = source.driverError !== undefined && source.driverError !== error ? source.driverError : source.cause;
    if (inner !== undefined && inner !== error) serialized.cause = serializeError(inner, depth + 1) as SerializedError;
  }
  return serialized;
}

/** For a message string: the error's message, values blanked, and its SQLSTATE or errno code if any. */
export function describeError(error: unknown): string {
  const serialized = serializeError(error);
  if (typeof serialized !== 'object' || serialized === null) return String(serialized);
  const { message, code, cause } = serialized as SerializedError;
  const shown = code ?? cause?.code; // a string or a number when there is one (CODE_FIELDS)
  return typeof shown === 'string' || typeof shown === 'number' ? `${message} [${shown}]` : message;
}

/**
 * pino serializers for every logger of Kalma (`createRootLogger`): they get the error itself, or
 * a plain object with the same fields (what pino's standard serializer makes of one), and filter either.
 */
export const logSerializers = {
  err: (error: unknown) => serializeError(error),
  error: (error: unknown) => serializeError(error),
};

/**
 * A request URL for a log line: the path, and the query's parameter names without their values.
 * A query string is whatever the caller typed (a guest's name in a filter, a key pasted by
 * mistake); the path and the names say which request it was.
 */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const names = url
    .slice(queryStart + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => `${pair.split('=')[0]}=…`);
  return `${url.slice(0, queryStart)}?${names.join('&')}`;
}
