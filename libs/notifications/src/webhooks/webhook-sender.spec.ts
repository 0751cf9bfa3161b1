import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '#libs/config';
import { Clock } from '#libs/shared';
import { WebhookSender, WebhookSigner } from './webhook-sender';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

describe('WebhookSender', () => {
  let server: Server;
  let baseUrl: string;
  let received: Received[];
  let sockets: unknown[];
  let respond: (request: IncomingMessage, response: ServerResponse) => void;

  function sender(overrides: Partial<AppConfig> = {}): WebhookSender {
    const config = Object.assign(new AppConfig(), { WEBHOOK_ALLOW_PRIVATE_URLS: true, WEBHOOK_TIMEOUT_MS: 500 }, overrides);
    return new WebhookSender(config, new Clock());
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        sockets.push(request.socket);
        respond(request, response);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  beforeEach(() => {
    received = [];
    sockets = [];
    respond = (_, response) => response.writeHead(204).end();
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a Standard Webhooks request that the reference library verifies', async () => {
    const webhooks = sender();
    const body = JSON.stringify({
      type: 'booking.cancelled',
      timestamp: '2027-07-01T00:00:00.000Z',
      data: { bookingId: 'b', reference: 'KAL-1' },
    });
    const result = await webhooks.send({ id: 'msg_1', url: `${baseUrl}/hook`, secret: SECRET, body });
    await webhooks.onApplicationShutdown();

    expect(result).toMatchObject({ outcome: 'delivered', statusCode: 204, error: null });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request.headers['webhook-id']).toBe('msg_1');
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toBe(body);
    expect(new Webhook(SECRET).verify(request.body, request.headers as Record<string, string>)).toEqual(JSON.parse(body));
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 8).toString('base64')}`).verify(request.body, request.headers as Record<string, string>),
    ).toThrow();
  });

  it('reports a non-2xx answer as a failed attempt with its status', async () => {
    respond = (_, response) => response.writeHead(503).end('busy');
    const webhooks = sender();
    const result = await webhooks.send({ id: 'msg_2', url: baseUrl, secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(result).toMatchObject({ outcome: 'http_error', statusCode: 503, error: 'HTTP 503' });
  });

  it('does not follow redirects', async () => {
    respond = (_, response) => response.writeHead(302, { location: `${baseUrl}/elsewhere` }).end();
    const webhooks = sender();
    const result = await webhooks.send({ id: 'msg_3', url: baseUrl, secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(result.outcome).toBe('http_error');
    expect(result.statusCode).toBe(302);
    expect(received).toHaveLength(1);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    respond = () => undefined; // never answers
    const webhooks = sender({ WEBHOOK_TIMEOUT_MS: 200 });
    const result = await webhooks.send({ id: 'msg_4', url: baseUrl, secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(result.outcome).toBe('timeout');
    expect(result.durationMs).toBeGreaterThanOrEqual(190);
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('refuses internal addresses unless private URLs are allowed, without sending anything', async () => {
    const webhooks = sender({ WEBHOOK_ALLOW_PRIVATE_URLS: false });
    const literal = await webhooks.send({ id: 'msg_5', url: baseUrl, secret: SECRET, body: '{}' });
    const resolved = await webhooks.send({ id: 'msg_6', url: baseUrl.replace('127.0.0.1', 'localhost'), secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(literal).toMatchObject({ outcome: 'refused_address', statusCode: null });
    expect(resolved).toMatchObject({ outcome: 'refused_address', statusCode: null });
    expect(resolved.error).toMatch(/internal address/);
    expect(received).toHaveLength(0);
  });

  it('reports a connection failure', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const webhooks = sender();
    const result = await webhooks.send({ id: 'msg_7', url: `http://127.0.0.1:${port}/`, secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(result).toMatchObject({ outcome: 'network_error', statusCode: null });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('reports a receiver that closes the connection without answering', async () => {
    respond = (request) => request.socket.destroy();
    const webhooks = sender();
    const result = await webhooks.send({ id: 'msg_8', url: baseUrl, secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(result).toMatchObject({ outcome: 'network_error', statusCode: null });
    expect(result.error).not.toBe('');
  });

  it('reuses kept-alive connections for the next deliveries to the same receiver', async () => {
    const webhooks = sender();
    for (let index = 0; index < 6; index++) await webhooks.send({ id: `msg_ka_${index}`, url: baseUrl, secret: SECRET, body: '{}' });
    await webhooks.onApplicationShutdown();
    expect(received).toHaveLength(6);
    // A request sent the moment the one before it is answered may find that connection not yet
    // back in the pool and open a second one; after that the two are reused in turn.
    expect(new Set(sockets).size).toBeLessThanOrEqual(2);
  });
});

describe('WebhookSigner', () => {
  it('signs exactly as the Standard Webhooks reference library, for any id, time and body', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        (key, id, at, body) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          expect(new WebhookSigner(secret).sign(id, at, body)).toBe(new Webhook(secret).sign(id, at, body));
        },
      ),
    );
  });

  it('refuses a secret the reference library refuses', () => {
    expect(() => new WebhookSigner('whsec_')).toThrow();
  });
});
