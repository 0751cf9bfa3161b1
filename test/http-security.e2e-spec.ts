import { randomBytes, randomUUID } from 'node:crypto';
import { dateFromToday, guest } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';

/** Response headers set by helmet, and API keys kept out of the logs. */
describe('HTTP security', () => {
  let stack: KalmaStack;

  beforeAll(async () => {
    // debug: successful requests are logged too (they are logged at debug level), so every request leaves lines to search.
    stack = await startKalmaStack({ env: { LOG_LEVEL: 'debug' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('sends the security headers and no x-powered-by on successes, errors and public routes', async () => {
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    const agent = stack.operations.as(agentKey);
    const anonymous = stack.operations.as(undefined);
    const responses = {
      health: await anonymous.get('/health'),
      calendar: await agent.get(`/v1/capacity?from=${dateFromToday(1)}&to=${dateFromToday(2)}`),
      unauthenticated: await anonymous.get('/v1/bookings'),
      unknownRoute: await agent.get('/v1/no-such-thing'),
      invalidJson: await agent.request('POST', '/v1/bookings', '{"checkIn":', { 'content-type': 'application/json' }),
    };
    expect(Object.fromEntries(Object.entries(responses).map(([name, response]) => [name, response.status]))).toEqual({
      health: 200,
      calendar: 200,
      unauthenticated: 401,
      unknownRoute: 404,
      invalidJson: 400,
    });
    for (const [name, response] of Object.entries(responses)) {
      const headers = {
        name,
        contentTypeOptions: response.headers.get('x-content-type-options'),
        frameOptions: response.headers.get('x-frame-options'),
        poweredBy: response.headers.get('x-powered-by'),
        transportSecurity: response.headers.get('strict-transport-security'),
        referrerPolicy: response.headers.get('referrer-policy'),
      };
      expect(headers).toEqual({
        name,
        contentTypeOptions: 'nosniff',
        frameOptions: 'SAMEORIGIN',
        poweredBy: null,
        transportSecurity: expect.stringContaining('max-age='),
        referrerPolicy: 'no-referrer',
      });
    }
  });

  it('answers requests refused by the HTTP parser itself (URL or headers too large, malformed HTTP) with a problem document', async () => {
    const base = stack.apis[0].baseUrl;
    const longUrl = await fetch(`${base}/v1/bookings/${'9'.repeat(20_000)}`);
    expect({ status: longUrl.status, contentType: longUrl.headers.get('content-type') }).toEqual({
      status: 431,
      contentType: 'application/problem+json',
    });
    expect(await longUrl.json()).toMatchObject({ status: 431, code: 'headers_too_large' });

    const bigHeader = await fetch(`${base}/health`, { headers: { 'x-padding': 'x'.repeat(20_000) } });
    expect(bigHeader.status).toBe(431);
    expect(((await bigHeader.json()) as { code: string }).code).toBe('headers_too_large');

    // Not HTTP at all: a raw socket gets a 400 problem document, and the server carries on.
    const { createConnection } = await import('node:net');
    const url = new URL(base);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: url.hostname, port: Number(url.port) }, () => socket.write('HELLO \u0000 NOT HTTP\r\n\r\n'));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'bad_request' });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('never writes an API key to the logs, valid or not, wherever the client puts it', async () => {
    const { agentKey } = await stack.operations.createAgencyWithAgentKey();
    const revoked = await stack.operations.post(`/v1/agencies/${(await stack.operations.createAgencyWithAgentKey()).agencyId}/api-keys`, {
      label: 'to revoke',
    });
    expect((await stack.operations.request('DELETE', `/v1/api-keys/${revoked.body.id}`)).status).toBe(200);
    const unknownKey = `kalma_agt_${randomBytes(32).toString('base64url')}`;
    const secrets = { agentKey, revokedKey: revoked.body.key as string, unknownKey, operationsKey: stack.operationsKey };

    const requestIds: string[] = [];
    const send = async (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const requestId = `log-probe-${randomUUID()}`;
      requestIds.push(requestId);
      return stack.operations
        .as(undefined)
        .request(method, path, body, { authorization: `Bearer ${key}`, 'x-request-id': requestId, ...headers });
    };
    const statuses: number[] = [];
    for (const key of Object.values(secrets)) {
      statuses.push((await send(key, 'GET', `/v1/capacity?from=${dateFromToday(1)}&to=${dateFromToday(2)}`)).status);
      statuses.push((await send(key, 'GET', `/v1/bookings/${randomUUID()}`)).status);
      statuses.push(
        (
          await send(
            key,
            'POST',
            '/v1/bookings',
            { checkIn: dateFromToday(3), checkOut: dateFromToday(4), guests: [guest()] },
            { 'idempotency-key': randomUUID() },
          )
        ).status,
      );
      // The key echoed where it does not belong: in a rejected body and a wrongly-cased scheme.
      statuses.push(
        (await send(key, 'POST', '/v1/bookings', { checkIn: key, guests: [{ fullName: key, nationality: key }], apiKey: key })).status,
      );
      statuses.push((await send(key, 'GET', '/v1/notifications', undefined, { authorization: `bearer ${key}` })).status);
    }
    // Valid keys succeed and fail in several ways; revoked and unknown keys are refused every time.
    expect(statuses).toEqual([
      ...[200, 404, 201, 400, 200], // agent
      ...[401, 401, 401, 401, 401], // revoked
      ...[401, 401, 401, 401, 401], // unknown
      ...[200, 404, 400, 400, 403], // operations (needs agencyId to book; inbox is for agents)
    ]);

    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last log lines flush
    const output = stack.apis.map((api) => api.output()).join('\n');
    // The logs are really there: every probe request left a line (else this test would prove nothing).
    for (const requestId of requestIds) expect(output).toContain(requestId);
    // One "request completed" line per request, with its id, method, URL and status.
    const completed = new Map<string, { request: { method: string; url: string }; response: { statusCode: number } }>();
    for (const line of output.split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line);
      if (entry.msg === 'request completed') completed.set(entry.request.id, entry);
    }
    expect(requestIds.map((requestId) => completed.get(requestId)?.response.statusCode)).toEqual(statuses);
    expect(completed.get(requestIds[2])?.request).toMatchObject({ method: 'POST', url: '/v1/bookings' });
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, logged: output.includes(secret) }).toEqual({ name, logged: false });
      // Nor the secret part on its own (after the recognisable prefix that is fine to log).
      expect({ name, logged: output.includes(secret.slice(14)) }).toEqual({ name, logged: false });
    }
  });
});
