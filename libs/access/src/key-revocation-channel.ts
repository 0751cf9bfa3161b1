import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { createRedisClient, isCluster, RedisClient } from '#libs/jobs';
import { rateLimitedWarning } from '#libs/observability';

/** A revocation waits at most this long for Redis to take its message; past it, the others fall back to their cache's TTL. */
const PUBLISH_TIMEOUT_MS = 500;
/** On a cluster, how long after a node left the subscription has surely moved to another node. */
const CLUSTER_RESUBSCRIBE_MS = 1_000;
const WARNING_INTERVAL_MS = 30_000;

export interface RevocationListener {
  /** Another process (or this one) revoked this key. */
  revoked(keyId: string): void;
  /** The subscription was lost and is back: revocations may have been missed meanwhile. */
  resubscribed(): void;
}

/**
 * Tells every API process that a key was revoked, over Redis pub/sub
 * (`<QUEUE_PREFIX>:api-key-revocations`), so each drops it from its key cache at once rather
 * than when the cache entry runs out. Redis is only the fast path: while it is unreachable a
 * revocation still commits and answers, and other processes refuse the key when their entry
 * expires (the cache's TTL), as before.
 */
@Injectable()
export class KeyRevocationChannel implements OnApplicationShutdown {
  private readonly logger = new Logger(KeyRevocationChannel.name);
  private readonly warn = rateLimitedWarning(this.logger, WARNING_INTERVAL_MS);
  private readonly channel: string;
  private publisher?: RedisClient;
  private subscriber?: RedisClient;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly config: AppConfig) {
    this.channel = `${config.QUEUE_PREFIX}:api-key-revocations`;
  }

  /** Resolves once Redis took the message, or after PUBLISH_TIMEOUT_MS, or at once if Redis is unreachable; never rejects. */
  async publish(keyId: string): Promise<void> {
    // Created on first use: the worker, which never revokes, opens no connection for it.
    this.publisher ??= this.connect('publisher', { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.publisher.publish(this.channel, keyId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.warn(
        `revocation of API key ${keyId} not broadcast (Redis: ${(error as Error).message}); other API processes refuse it when their key cache expires`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Subscribes with a connection of its own (a subscribed connection can do nothing else); ioredis re-subscribes after a reconnect. */
  listen(listener: RevocationListener): void {
    if (this.subscriber) throw new Error('KeyRevocationChannel.listen called twice');
    const subscriber = this.connect('subscriber', { maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    let subscribedBefore = false;
    subscriber.on('message', (channel: string, keyId: string) => {
      if (channel === this.channel) listener.revoked(keyId);
    });
    subscriber.on('ready', () => {
      // 'ready' comes after every (re)connection; messages sent while we were away are lost.
      // ioredis re-subscribes by itself right after it; subscribing here too lets us forget the
      // cache once the subscription is confirmed, so no revocation can fall between the two.
      if (!subscribedBefore) {
        subscribedBefore = true;
        return;
      }
      subscriber
        .subscribe(this.channel)
        .then(() => {
          this.logger.log('revocation channel reconnected: forgetting every cached API key');
          listener.resubscribed();
        })
        .catch((error: Error) => this.warn(`cannot re-subscribe to API key revocations (${error.message})`));
    });
    if (isCluster(subscriber)) {
      // A cluster client subscribes through one node and moves the subscription to another when
      // that node leaves (a failover), without telling: messages published meanwhile are lost.
      // So when a node leaves, forget the cache at once and once more after the move.
      subscriber.on('-node', () => {
        listener.resubscribed();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          listener.resubscribed();
        }, CLUSTER_RESUBSCRIBE_MS);
        timer.unref();
        this.timers.add(timer);
      });
    }
    subscriber
      .subscribe(this.channel)
      .catch((error: Error) => this.warn(`cannot subscribe to API key revocations yet (${error.message}); retrying`));
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }

  private connect(role: string, options: { maxRetriesPerRequest: number | null; connectTimeout?: number }): RedisClient {
    // Classic PUBLISH reaches the subscribers of every node of a cluster, wherever it is sent.
    const client = createRedisClient(this.config, {
      ...options,
      connectionName: `${this.config.QUEUE_PREFIX}:api-key-revocations-${role}`,
    });
    client.on('error', (error: Error) => this.warn(`API key revocation ${role}: Redis unreachable (${error.message})`));
    return client;
  }
}
