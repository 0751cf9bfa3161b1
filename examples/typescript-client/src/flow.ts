/**
 * What an integrator writes against Kalma with types generated from its OpenAPI document
 * (openapi-typescript) and openapi-fetch: an operations key sets up an agency, the agency books
 * with an Idempotency-Key and lists its bookings, operations preview and apply a ban, and the
 * agency learns of the cancellation from its inbox and from a webhook it verifies with
 * `standardwebhooks`. Strict TypeScript, no casts: every answer is narrowed by its status or type.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage } from 'node:http';
import createClient from 'openapi-fetch';
import { Webhook } from 'standardwebhooks';
import type { components, paths } from './kalma-api';

type Booking = components['schemas']['BookingDto'];
type Notification = components['schemas']['Notification'];
type CancelledWebhook = components['schemas']['BookingCancelledWebhook'];

export interface FlowOptions {
  /** Where the API is, e.g. http://localhost:3000. */
  baseUrl: string;
  operationsKey: string;
  /** The check-in date to book (YYYY-MM-DD, resort time). */
  checkIn: string;
  checkOut: string;
  /** Longest wait for the ban's enforcement, the inbox and the webhook. */
  timeoutMs?: number;
}

export interface FlowResult {
  booking: Booking;
  /** The same Idempotency-Key and body again returned the same booking. */
  replayedSameBooking: boolean;
  listed: boolean;
  previewedBookings: number;
  restrictionId: string;
  inboxNotification: Notification;
  webhook: CancelledWebhook;
}

class FlowError extends Error {}

/** Fails with the problem Kalma answered (`code`, `detail`), or returns the data. */
function expectData<T>(what: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined) return result.data;
  const detail =
    typeof result.error === 'object' && result.error !== null && 'code' in result.error
      ? JSON.stringify(result.error)
      : String(result.response.status);
  throw new FlowError(`${what}: ${detail}`);
}

async function poll<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new FlowError(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function isCancelledWebhook(value: unknown): value is CancelledWebhook {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    value.type === 'booking.cancelled' &&
    'timestamp' in value &&
    typeof value.timestamp === 'string' &&
    'data' in value &&
    typeof value.data === 'object' &&
    value.data !== null &&
    'bookingId' in value.data &&
    typeof value.data.bookingId === 'string' &&
    'reference' in value.data &&
    typeof value.data.reference === 'string'
  );
}

/** The headers of a request as standardwebhooks takes them (single values). */
function headersOf(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])));
}

/** A webhook endpoint, as an agency runs one: verifies each request's signature before believing it. */
async function startWebhookEndpoint(secret: () => string): Promise<{ url: string; verified: unknown[]; close(): Promise<void> }> {
  const verified: unknown[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        verified.push(new Webhook(secret()).verify(Buffer.concat(chunks).toString('utf8'), headersOf(request)));
        response.writeHead(204).end();
      } catch {
        response.writeHead(401).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new FlowError('the webhook endpoint has no port');
  return {
    url: `http://127.0.0.1:${address.port}/kalma-webhooks`,
    verified,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export async function runFlow(options: FlowOptions): Promise<FlowResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const operations = createClient<paths>({ baseUrl: options.baseUrl, headers: { Authorization: `Bearer ${options.operationsKey}` } });
  let webhookSecret = '';
  const endpoint = await startWebhookEndpoint(() => webhookSecret);
  try {
    // Operations: an agency with a webhook, and an agent key for it.
    const agency = expectData(
      'create agency',
      await operations.POST('/v1/agencies', { body: { name: 'Typed Travel', webhookUrl: endpoint.url, partyPolicy: 'cancel_booking' } }),
    );
    webhookSecret = agency.webhookSecret;
    const key = expectData(
      'issue key',
      await operations.POST('/v1/agencies/{id}/api-keys', { params: { path: { id: agency.id } }, body: { label: 'typed client' } }),
    );
    const agent = createClient<paths>({ baseUrl: options.baseUrl, headers: { Authorization: `Bearer ${key.key}` } });

    // The agency books; a retry with the same Idempotency-Key returns the same booking.
    const idempotencyKey = randomUUID();
    const body = {
      checkIn: options.checkIn,
      checkOut: options.checkOut,
      guests: [
        { fullName: 'Mary Major', nationality: 'US' },
        { fullName: 'John Doe', nationality: 'US' },
      ],
    };
    const booking = expectData(
      'book',
      await agent.POST('/v1/bookings', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body }),
    );
    const replay = expectData(
      'book again',
      await agent.POST('/v1/bookings', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body }),
    );

    const page = expectData(
      'list',
      await agent.GET('/v1/bookings', { params: { query: { status: 'confirmed', checkInFrom: options.checkIn, limit: 50 } } }),
    );
    const listed = page.data.some((entry) => entry.id === booking.id);

    // Operations: what would a ban on US guests cancel? Then apply it from now on.
    const ban = { nationalities: ['US'], effectiveFrom: new Date().toISOString(), reason: 'Typed client example' };
    const preview = expectData('preview', await operations.POST('/v1/restrictions/preview', { body: ban }));
    const restriction = expectData('apply', await operations.POST('/v1/restrictions', { body: ban }));
    await poll('enforcement', timeoutMs, async () => {
      const current = expectData(
        'restriction',
        await operations.GET('/v1/restrictions/{id}', { params: { path: { id: restriction.id } } }),
      );
      return current.enforcement.state === 'completed' ? current : undefined;
    });

    // The agency polls its inbox: the cancellation names the booking and the restriction.
    const inboxNotification = await poll('inbox', timeoutMs, async () => {
      const inbox = expectData('inbox', await agent.GET('/v1/notifications', { params: { query: { unacknowledged: true } } }));
      return inbox.data.find(
        (entry) => entry.type === 'booking.cancelled' && entry.data.bookingId === booking.id && entry.data.restrictionId === restriction.id,
      );
    });
    expectData('acknowledge', await agent.POST('/v1/notifications/ack', { body: { upTo: inboxNotification.id } }));

    // And its webhook endpoint got the same event, signed.
    const webhook = await poll('webhook', timeoutMs, async () =>
      endpoint.verified.filter(isCancelledWebhook).find((event) => event.data.bookingId === booking.id),
    );

    return {
      booking,
      replayedSameBooking: replay.id === booking.id,
      listed,
      previewedBookings: preview.affectedBookings,
      restrictionId: restriction.id,
      inboxNotification,
      webhook,
    };
  } finally {
    await endpoint.close();
  }
}
