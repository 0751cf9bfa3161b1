import { randomUUID } from 'node:crypto';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for the Kalma API, as a black-box client would use it. */
export class KalmaClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  as(apiKey: string | undefined): KalmaClient {
    return new KalmaClient(this.baseUrl, apiKey);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. /metrics)
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string): Promise<HttpResult<T>> {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>> {
    return this.request<T>('POST', path, body ?? {}, headers);
  }

  put<T = any>(path: string, body?: unknown): Promise<HttpResult<T>> {
    return this.request<T>('PUT', path, body);
  }

  /** Creates an agency and an agent key for it (needs an operations key). */
  async createAgencyWithAgentKey(
    name = `Agency ${randomUUID().slice(0, 8)}`,
    webhookUrl?: string,
  ): Promise<{ agencyId: string; agentKey: string; webhookSecret: string }> {
    const agency = await this.post('/v1/agencies', { name, ...(webhookUrl ? { webhookUrl } : {}) });
    if (agency.status !== 201) throw new Error(`creating agency: ${agency.status} ${JSON.stringify(agency.body)}`);
    const key = await this.post(`/v1/agencies/${agency.body.id}/api-keys`, { label: 'test' });
    if (key.status !== 201) throw new Error(`creating key: ${key.status} ${JSON.stringify(key.body)}`);
    return { agencyId: agency.body.id, agentKey: key.body.key, webhookSecret: agency.body.webhookSecret };
  }

  createBooking(body: unknown, idempotencyKey: string = randomUUID()): Promise<HttpResult> {
    return this.post('/v1/bookings', body, { 'idempotency-key': idempotencyKey });
  }
}

/** A resort-local date `days` from today (tests run near UTC; one day of margin is kept where it matters). */
export function dateFromToday(days: number, timeZone = 'Asia/Pyongyang'): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function guest(nationality = 'RU', fullName = 'Test Guest'): { fullName: string; nationality: string } {
  return { fullName, nationality };
}
