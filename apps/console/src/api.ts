import { signedInKey } from './session';

/** An RFC 9457 problem as the API answers it (`code` is Kalma's stable error code). */
export interface Problem {
  status: number;
  title: string;
  detail?: string;
  code?: string;
  [member: string]: unknown;
}

/** A refused call: carries the problem so screens can show its title and detail. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
  }
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Answer<T> {
  body: T;
  /** The `ETag` header (a booking's `"<version>"`), when the API sent one. */
  etag: string | null;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  headers?: Record<string, string>;
  /** The key to use instead of the signed-in one (signing in checks a key before keeping it). */
  key?: string;
}

function problemOf(status: number, statusText: string, body: unknown): Problem {
  if (body && typeof body === 'object' && typeof (body as Problem).title === 'string') return { ...(body as Problem), status };
  return { status, title: statusText || `HTTP ${status}`, detail: typeof body === 'string' && body ? body.slice(0, 300) : undefined };
}

/** One call of the public HTTP API; a refusal (4xx/5xx) or a network failure throws a ProblemError. */
export async function call<T>(path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const key = options.key ?? signedInKey();
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      // Never a cookie: the key is the only credential.
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ProblemError({
      status: 0,
      title: 'The API cannot be reached',
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!response.ok) throw new ProblemError(problemOf(response.status, response.statusText, body));
  return { body: body as T, etag: response.headers.get('etag') };
}

export async function get<T>(path: string): Promise<T> {
  return (await call<T>(path)).body;
}

export async function send<T>(
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown = {},
  headers?: Record<string, string>,
): Promise<T> {
  return (await call<T>(path, { method, body, headers })).body;
}

/** A query string of the defined, non-empty parameters. */
export function query(parameters: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function problemOfError(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  return { status: 0, title: 'Something went wrong in the console', detail: error instanceof Error ? error.message : String(error) };
}
