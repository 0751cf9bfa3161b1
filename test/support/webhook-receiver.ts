import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';

export interface ReceivedWebhook {
  path: string;
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  receivedAt: number;
}

/** Decides the status code of each request; called with the request and how many times this id came before. */
export type WebhookResponder = (request: {
  path: string;
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  previousDeliveries: number;
}) => number;

/** A local webhook receiver on 127.0.0.1 that records every request and answers as the test says. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly countsById = new Map<string, number>();
  private responders = new Map<string, { responder: WebhookResponder; delayMs: number }>();
  private server?: Server;
  baseUrl = '';

  /** Sets how requests to `path` are answered (default: 200 at once); `delayMs` holds each answer back. */
  on(path: string, responder: WebhookResponder, options: { delayMs?: number } = {}): this {
    this.responders.set(path, { responder, delayMs: options.delayMs ?? 0 });
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const id = String(request.headers['webhook-id'] ?? '');
        const path = (request.url ?? '/').split('?')[0];
        const previousDeliveries = this.countsById.get(id) ?? 0;
        this.countsById.set(id, previousDeliveries + 1);
        const handler = this.responders.get(path);
        const status = handler ? handler.responder({ path, id, headers: request.headers, body, previousDeliveries }) : 200;
        this.received.push({ path, id, headers: request.headers, body, status, receivedAt: Date.now() });
        const answer = (): void => void response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
        if (handler?.delayMs) setTimeout(answer, handler.delayMs);
        else answer();
      });
    });
    this.server.keepAliveTimeout = 30_000;
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  requestsFor(id: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.id === id);
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** The harness's polling helper, here because most suites that wait do so for webhooks. */
export { waitFor } from '../../scripts/harness/polling';
