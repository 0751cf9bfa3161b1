import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Webhook } from 'standardwebhooks';
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
 * Sends one signed Standard Webhooks request and reports what happened, never throwing.
 * Keep-alive agents reuse connections to a receiver across deliveries; redirects are not
 * followed (a 3xx is a failed attempt); each attempt has one overall deadline.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly lookup: LookupFunction;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /**
   * Parsed signing keys by secret: building one decodes base64, and a round signs thousands of
   * messages. Rotated secrets stop being used: the least recently used go beyond 10,000.
   */
  private readonly signers = new LRUCache<string, Webhook>({ max: 10_000, memoMethod: (secret) => new Webhook(secret) });

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.lookup = guardedLookup(config.WEBHOOK_ALLOW_PRIVATE_URLS);
    const agentOptions = {
      keepAlive: true,
      maxSockets: config.WEBHOOK_CONCURRENCY,
      maxFreeSockets: config.WEBHOOK_CONCURRENCY,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  /** Late in shutdown: the dispatcher's round (beforeApplicationShutdown) has let requests in flight finish. */
  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
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
      'content-length': String(Buffer.byteLength(message.body)),
      'user-agent': 'Kalma-Webhooks/1',
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(attemptedAt.getTime() / 1000)),
      'webhook-signature': signature,
    };

    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const settle = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(url, {
        method: 'POST',
        headers,
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        lookup: this.lookup,
      });
      const deadline = setTimeout(() => {
        settle(finish('timeout', null, `no response within ${this.config.WEBHOOK_TIMEOUT_MS} ms`));
        request.destroy();
      }, this.config.WEBHOOK_TIMEOUT_MS);
      request.on('response', (response) => {
        // Kept only if it is a real HTTP status (the column's CHECK); anything else is a failed attempt anyway.
        const received = response.statusCode ?? 0;
        const statusCode = received >= 100 && received <= 599 ? received : null;
        // Drain the body (unread) so the connection can be reused; the outcome is known from the status.
        response.resume();
        response.on('end', () => {
          if (received >= 200 && received < 300) settle(finish('delivered', statusCode, null));
          else
            settle(
              finish(
                'http_error',
                statusCode,
                `HTTP ${received}${received >= 300 && received < 400 ? ' (redirects are not followed)' : ''}`,
              ),
            );
        });
        response.on('error', (error) => settle(finish('network_error', statusCode, error.message)));
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof RefusedAddress || error.code === 'KALMA_REFUSED_ADDRESS')
          settle(finish('refused_address', null, error.message));
        else settle(finish('network_error', null, error.code ? `${error.code}: ${error.message}` : error.message));
      });
      request.end(message.body);
    });
  }
}
