import type { RedisOptions as BullMqRedisOptions, ConnectionOptions } from 'bullmq';
import { Cluster, ClusterOptions, Redis } from 'ioredis';
import { AppConfig, redisClusterSettings } from '#libs/config';
import type { QueueName } from './job-catalogue';

/**
 * The one place Kalma opens Redis connections. With REDIS_CLUSTER_NODES set every client is an
 * ioredis `Cluster` (seeded from those nodes, which discovers the rest and follows failovers);
 * otherwise a `Redis` on REDIS_URL. Both speak the same commands, so callers hold a `RedisClient`
 * and never ask which.
 */
export type RedisClient = Redis | Cluster;

export type RedisSettings = Pick<AppConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>;

export interface RedisClientOptions {
  /** Shown in CLIENT LIST (on every node of a cluster). */
  connectionName?: string;
  /** Connect on the first command instead of at once. */
  lazyConnect?: boolean;
  /** Queue commands while disconnected (default true); false makes them fail at once. */
  enableOfflineQueue?: boolean;
  /** Retries of a command across reconnections; null waits forever (what BullMQ workers need). */
  maxRetriesPerRequest?: number | null;
  connectTimeout?: number;
  /** A command without an answer within this many ms fails. */
  commandTimeout?: number;
}

/** A new client for `settings` (see `RedisClient`); the caller owns it and disconnects it. */
export function createRedisClient(settings: RedisSettings, options: RedisClientOptions = {}): RedisClient {
  const cluster = redisClusterSettings(settings);
  const { lazyConnect, enableOfflineQueue, ...perConnection } = options;
  if (!cluster) return new Redis(settings.REDIS_URL, { ...perConnection, lazyConnect, enableOfflineQueue });
  const nodeOptions: ClusterOptions['redisOptions'] = {
    ...perConnection,
    username: cluster.username,
    password: cluster.password,
    // Managed clusters with TLS announce node addresses whose certificates carry host names.
    tls: cluster.tls ? {} : undefined,
  };
  return new Cluster(cluster.nodes, {
    lazyConnect,
    enableOfflineQueue,
    redisOptions: nodeOptions,
    // With TLS, connect by the host name the cluster announces rather than a resolved address,
    // so that the certificate's name matches (as managed clusters such as ElastiCache require).
    dnsLookup: cluster.tls ? (address, callback) => callback(null, address) : undefined,
  });
}

/** Whether a client is a cluster client. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * The BullMQ key prefix of one queue. On a single Redis it is QUEUE_PREFIX, as it always was.
 * On a cluster, a BullMQ script touches several keys of one queue, which must hash to one slot:
 * the queue's name is the hash tag (`<QUEUE_PREFIX>:{bookings}`), so each queue lives on one
 * node, the five queues spread over the cluster, and every key still starts with QUEUE_PREFIX.
 */
export function queuePrefix(config: Pick<AppConfig, 'QUEUE_PREFIX' | 'REDIS_CLUSTER_NODES'>, queue: QueueName): string {
  return redisClusterSettings(config) ? `${config.QUEUE_PREFIX}:{${queue}}` : config.QUEUE_PREFIX;
}

/**
 * The `connection` of BullMQ queues and workers. Workers wait for Redis forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires); producers in the API fail fast instead, so a
 * Redis outage never blocks a booking: the change is in Postgres, and sweeps re-trigger the jobs.
 *
 * On a single Redis these are options and BullMQ opens (and closes) its own connections. BullMQ
 * cannot build a cluster client from options, so on a cluster this is a `Cluster` that BullMQ
 * shares (queues) or duplicates (workers); `close` disconnects it, after the queues closed.
 */
export function bullMqConnection(
  settings: RedisSettings,
  options: { failFast: boolean },
): { connection: ConnectionOptions; close(): void } {
  const behaviour = options.failFast
    ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }
    : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  if (!redisClusterSettings(settings)) {
    const connection: BullMqRedisOptions = { url: settings.REDIS_URL, ...behaviour };
    return { connection, close: () => undefined };
  }
  const client = createRedisClient(settings, behaviour);
  client.on('error', () => undefined); // BullMQ reports errors through the queues' and workers' own 'error' events
  return { connection: client, close: () => client.disconnect() };
}
