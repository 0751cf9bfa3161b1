import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { isInternalAddress } from '#libs/access';
import { AppConfig } from '#libs/config';
import { Clock } from '#libs/shared';

export type AttemptOutcome = 'delivered' | 'http_error' | 'timeout' | 'network_error' | 'refused_address';

export interface WebhookMessage {
  /** The notification id: `webhook-id`, the same on every retry. */
  id: string;
  url: string;
  /** The agency's `whsec_…` secret as it is at attempt time (rotation applies to the next attempt). */
  secret: string;
  /** The exact body bytes that are signed and sent. */
  body: string;
}

export interface AttemptResult {
  outcome: AttemptOutcome;
  attemptedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** Largest error text kept per attempt (response bodies are never stored). */
const ERROR_TEXT_LIMIT = 500;

class RefusedAddress extends Error {
  readonly code = 'KALMA_REFUSED_ADDRESS';
}

/** A DNS lookup that refuses internal addresses, so the check applies to the address actually connected to. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, options, (error, address: string | LookupAddress[], family?: number) => {
      if (error) return callback(error, address, family);
      const addresses = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
      const internal = allowPrivate ? undefined : addresses.find(isInternalAddress);
      if (internal) return callback(new RefusedAddress(`${hostname} resolves to internal address ${internal}`), address, family);
      return (callback as (error: null, address: string | LookupAddress[], family?: number) => void)(null, address, family);
    });
  };
}

/**
 * Signs as Standard Webhooks does (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under
 * the decoded `whsec_` key), with node:crypto: the reference library hashes in JavaScript, which
 * cost the worker 4–5 % of its CPU at thousands of deliveries a second. The library still parses
 * the secret (and refuses a malformed one), and `webhook-sender.spec` checks both sign alike.
 */
export class WebhookSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    const parsed = new Webhook(secret) as unknown as { key: Uint8Array };
    this.key = Buffer.from(parsed.key);
  }

  sign(id: string, attemptedAt: Date, body: string): string {
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    return `v1,${createHmac('sha256', this.key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  }
}

/**
 * Sends one signed Standard Webhooks request and reports what happened, never throwing.
 * undici's agent keeps connections to each receiver alive across deliveries (about half the CPU
 * of node:http's client per request); redirects are not followed (a 3xx is a failed attempt);
 * each attempt has one overall deadline.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly dispatcher: Agent;
  /**
   * Signing keys by secret: parsing one decodes base64, and a round signs thousands of
   * messages. Rotated secrets stop being used: the least recently used go beyond 10,000.
   */
  private readonly signers = new LRUCache<string, WebhookSigner>({ max: 10_000, memoMethod: (secret) => new WebhookSigner(secret) });

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.dispatcher = new Agent({
      connections: config.WEBHOOK_CONCURRENCY,
      // Every connection is looked up through the guard, so it applies to the address connected to.
      connect: { lookup: guardedLookup(config.WEBHOOK_ALLOW_PRIVATE_URLS) },
    });
  }

  /** Late in shutdown: the dispatcher's round (beforeApplicationShutdown) has let requests in flight finish. */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy();
  }

  async send(message: WebhookMessage): Promise<AttemptResult> {
    const attemptedAt = this.clock.now();
    const started = performance.now(); // the attempt's duration: monotonic
    const finish = (outcome: AttemptOutcome, statusCode: number | null, error: string | null): AttemptResult => ({
      outcome,
      attemptedAt,
      durationMs: Math.max(0, Math.round(performance.now() - started)),
      statusCode,
      error: error === null ? null : error.slice(0, ERROR_TEXT_LIMIT),
    });

    let url: URL;
    try {
      url = new URL(message.url);
    } catch {
      return finish('network_error', null, 'the webhook URL is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return finish('network_error', null, `unsupported protocol ${url.protocol}`);
    // An address literal is never looked up, so the guarded lookup would not see it: check it here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!this.config.WEBHOOK_ALLOW_PRIVATE_URLS && isIP(literal) && isInternalAddress(literal)) {
      return finish('refused_address', null, `${literal} is an internal address`);
    }

    let signature: string;
    try {
      signature = this.signers.memo(message.secret).sign(message.id, attemptedAt, message.body);
    } catch (error) {
      return finish('network_error', null, `cannot sign: ${(error as Error).message}`);
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Kalma-Webhooks/1',
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(attemptedAt.getTime() / 1000)),
      'webhook-signature': signature,
    };

    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), this.config.WEBHOOK_TIMEOUT_MS);
    let statusCode: number | null = null;
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body: message.body,
        dispatcher: this.dispatcher,
        signal: abort.signal,
      });
      // Kept only if it is a real HTTP status (the column's CHECK); anything else is a failed attempt anyway.
      const received = response.statusCode;
      statusCode = received >= 100 && received <= 599 ? received : null;
      // Drain the body (unread) so the connection can be reused; the outcome is known from the status.
      await response.body.dump();
      if (received >= 200 && received < 300) return finish('delivered', statusCode, null);
      return finish(
        'http_error',
        statusCode,
        `HTTP ${received}${received >= 300 && received < 400 ? ' (redirects are not followed)' : ''}`,
      );
    } catch (error) {
      if (abort.signal.aborted) return finish('timeout', null, `no response within ${this.config.WEBHOOK_TIMEOUT_MS} ms`);
      const failure = error as NodeJS.ErrnoException;
      if (failure instanceof RefusedAddress || failure.code === 'KALMA_REFUSED_ADDRESS')
        return finish('refused_address', null, failure.message);
      return finish('network_error', statusCode, failure.code ? `${failure.code}: ${failure.message}` : failure.message);
    } finally {
      clearTimeout(deadline);
    }
  }
}
