import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findOnPath, waitFor } from '../../scripts/harness';
import { freePort, startProcess, ServiceProcess, waitForOutput } from './service-processes';

/** One `redis-server --cluster-enabled yes` process of a test cluster. */
export interface ClusterNodeProcess extends ServiceProcess {
  port: number;
}

export interface RedisClusterProcesses {
  /** REDIS_CLUSTER_NODES for this cluster: every node, `127.0.0.1:port,…`. */
  seeds: string;
  nodes: ClusterNodeProcess[];
  /** The node serving `slot` as primary now, and its replicas. */
  shardOf(slot: number): Promise<{ primary: ClusterNodeProcess; replicas: ClusterNodeProcess[] }>;
  /** Resolves when every live node says the cluster is ok and sees `primaries` primaries serving all slots. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** The slot of a key (CLUSTER KEYSLOT). */
  keySlot(key: string): Promise<number>;
  stop(): Promise<void>;
}

/** Low so that a killed primary's replica is promoted within a few seconds. */
const NODE_TIMEOUT_MS = 1_000;

/**
 * Starts a Redis Cluster on loopback: `primaries` primaries with `replicasPerPrimary` replicas
 * each, `redis-server` processes (on the PATH) on free ports, nothing persisted, their
 * cluster-config files in a temporary directory removed by `stop`; joined by
 * `redis-cli --cluster create`. Resolves once every slot is served and every replica in sync.
 */
export async function startRedisCluster(options: { primaries?: number; replicasPerPrimary?: number } = {}): Promise<RedisClusterProcesses> {
  const primaries = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  // Said plainly rather than as a spawn error: unlike `npm start`, a cluster has no stand-in from npm.
  const missing = ['redis-server', 'redis-cli'].filter((program) => !findOnPath(program));
  if (missing.length > 0) {
    throw new Error(
      `The redis-cluster test project needs ${missing.join(' and ')} on the PATH (Debian: apt-get install -y redis-server). ` +
        'Install Redis, or run the other tiers alone (`npm run test:unit`, `test:integration`, `test:e2e`).',
    );
  }
  const directory = mkdtempSync(path.join(tmpdir(), 'kalma-test-redis-cluster-'));
  const nodes: ClusterNodeProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < primaries * (1 + replicasPerPrimary); index++) nodes.push(await startReadyClusterNode(directory));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicasPerPrimary),
      '--cluster-yes',
    ]);
    const cluster = handle(nodes, primaries, stop);
    await cluster.waitUntilHealthy();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A node that accepts connections. Each waits for the one before it, so a port just found free
 * for one node is bound before the next looks for its own; a port taken meanwhile by anything
 * else (a free port is only free until someone binds it: an outgoing connection's ephemeral port,
 * say) means new ports and another try.
 */
async function startReadyClusterNode(directory: string, attempts = 3): Promise<ClusterNodeProcess> {
  for (let attempt = 1; ; attempt++) {
    const started = await startClusterNode(directory);
    try {
      await waitForOutput(started, 'Ready to accept connections', `redis-server on port ${started.port}`);
      return started;
    } catch (error) {
      if (attempt >= attempts || !started.output().includes('Address already in use')) throw error;
    }
  }
}

async function startClusterNode(directory: string): Promise<ClusterNodeProcess> {
  // The cluster bus gets a port of its own: port + 10000 (the default) may be taken or out of range.
  const [port, busPort] = [await freePort(), await freePort()];
  const server = startProcess(
    'redis-server',
    [
      '--port',
      String(port),
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      String(NODE_TIMEOUT_MS),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      directory,
    ],
    { cwd: directory, env: { PATH: process.env.PATH ?? '' } },
  );
  return { ...server, port };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

function isAlive(node: ClusterNodeProcess): boolean {
  return node.child.exitCode === null && node.child.signalCode === null;
}

/** Runs one command on one node with a short-lived connection. */
async function onNode<T>(node: ClusterNodeProcess, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port: node.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

interface NodeLine {
  port: number;
  flags: string[];
  primaryId: string;
  id: string;
  linkState: string;
  slots: [number, number][];
}

/** CLUSTER NODES, parsed: `<id> <ip:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slot>…`. */
function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, primaryId, , , , linkState, ...slots] = line.trim().split(' ');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        flags: flags.split(','),
        primaryId,
        linkState,
        slots: slots
          .filter((slot) => /^\d/.test(slot))
          .map((slot) => {
            const [from, to] = slot.split('-').map(Number);
            return [from, to ?? from] as [number, number];
          }),
      };
    });
}

function handle(nodes: ClusterNodeProcess[], primaries: number, stop: () => Promise<void>): RedisClusterProcesses {
  const byPort = (port: number): ClusterNodeProcess => {
    const node = nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    return node;
  };
  const someLiveNode = (): ClusterNodeProcess => {
    const node = nodes.find(isAlive);
    if (!node) throw new Error('every node of the cluster is down');
    return node;
  };
  return {
    seeds: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    nodes,
    async keySlot(key) {
      return onNode(someLiveNode(), async (redis) => Number(await redis.cluster('KEYSLOT', key)));
    },
    async shardOf(slot) {
      const lines = parseNodes(await onNode(someLiveNode(), (redis) => redis.cluster('NODES') as Promise<string>));
      const primary = lines.find(
        (line) =>
          line.flags.includes('master') && !line.flags.includes('fail') && line.slots.some(([from, to]) => slot >= from && slot <= to),
      );
      if (!primary) throw new Error(`no primary serves slot ${slot}`);
      const replicas = lines.filter((line) => line.primaryId === primary.id && !line.flags.includes('fail'));
      return { primary: byPort(primary.port), replicas: replicas.map((line) => byPort(line.port)) };
    },
    async waitUntilHealthy(timeoutMs = 30_000) {
      await waitFor(
        async (): Promise<{ healthy: boolean; last: string }> => {
          try {
            const live = nodes.filter(isAlive);
            const states = await Promise.all(live.map((node) => onNode(node, (redis) => redis.cluster('INFO'))));
            const lines = parseNodes(await onNode(live[0], (redis) => redis.cluster('NODES') as Promise<string>));
            const servingPrimaries = lines.filter(
              (line) => line.flags.includes('master') && !line.flags.includes('fail') && line.slots.length > 0,
            );
            const replicaLinks = await Promise.all(
              live
                .filter((node) => lines.find((line) => line.port === node.port)?.flags.includes('slave'))
                .map((node) => onNode(node, (redis) => redis.info('replication'))),
            );
            const healthy =
              states.every((state) => /^cluster_state:ok\b/m.test(state)) &&
              servingPrimaries.length === primaries &&
              replicaLinks.every((info) => /master_link_status:up/.test(info) && !/master_sync_in_progress:1/.test(info));
            const last = `states ${states.map((state) => /cluster_state:(\w+)/.exec(state)?.[1]).join(',')}, ${servingPrimaries.length} primaries`;
            return { healthy, last };
          } catch (error) {
            return { healthy: false, last: (error as Error).message };
          }
        },
        (answer) => answer.healthy,
        {
          timeoutMs,
          intervalMs: 200,
          onTimeout: (answer) => new Error(`the Redis cluster did not become healthy within ${timeoutMs} ms (${answer.last})`),
        },
      );
    },
    stop,
  };
}
