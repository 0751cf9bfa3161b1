import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { call, startBenchStack } from './support/bench-stack';

/**
 * `node dist/bench/webhooks.bench.js`: webhook delivery throughput. One API and one worker
 * (BENCH_WORKERS to change it) on a fresh database; BENCH_NOTIFICATIONS (20,000) notification
 * rows are written in one transaction for an agency whose webhook is a local receiver in this
 * process, and the clock runs from that commit until the receiver has seen every webhook-id.
 * The target is all 20,000 within 20 s on a 2-core machine.
 */
const NOTIFICATIONS = Number(process.env.BENCH_NOTIFICATIONS ?? 20_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 120) * 1000;
const TARGET_SECONDS = 20;

export interface WebhookBenchResult {
  notifications: number;
  workers: number;
  received: number;
  requests: number;
  seconds: number;
  webhooksPerSecond: number;
  lagP50Seconds: number | null;
  lagP99Seconds: number | null;
  withinTarget: boolean;
}

/** Counts distinct webhook-ids (a retried delivery is counted once) and notes when a count is reached. */
export class CountingReceiver {
  readonly ids = new Set<string>();
  requests = 0;
  private server?: Server;
  private waiting?: { count: number; resolve: () => void };
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        this.requests++;
        const id = request.headers['webhook-id'];
        if (typeof id === 'string') this.ids.add(id);
        response.writeHead(204).end();
        if (this.waiting && this.ids.size >= this.waiting.count) this.waiting.resolve();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/kalma`;
  }

  until(count: number, timeoutMs: number): Promise<boolean> {
    if (this.ids.size >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiting = {
        count,
        resolve: () => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve(true);
        },
      };
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

async function insertNotifications(pool: { query: (text: string, values: unknown[]) => Promise<unknown> }, agencyId: string, count: number, tag: string): Promise<void> {
  await pool.query(
    `INSERT INTO notifications (agency_id, type, data, dedupe_key)
     SELECT $1, 'booking.cancelled',
            jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'KAL-' || lpad(i::text, 6, '0'), 'reason', 'restriction'),
            $2 || ':' || i
       FROM generate_series(1, $3) AS i`,
    [agencyId, tag, count],
  );
}

export async function runWebhooksBench(): Promise<WebhookBenchResult> {
  const receiver = new CountingReceiver();
  await receiver.start();
  // WEBHOOK_* settings of this shell (e.g. WEBHOOK_CONCURRENCY) are handed to the worker, to compare tunings.
  const tuning = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('WEBHOOK_') && entry[1] !== undefined));
  const stack = await startBenchStack({ apiProcesses: 1, workers: WORKERS, env: { WORKER_METRICS_PORT: '0', ...tuning } });
  try {
    const agency = await call(stack.apiUrls[0], stack.operationsKey, 'POST', '/v1/agencies', { name: 'Bench Webhooks', webhookUrl: receiver.url });

    // Warm-up: the worker is up and delivering (schedulers declared, pools and connections open).
    await insertNotifications(stack.pool, agency.id, 200, 'warm-up');
    if (!(await receiver.until(200, 60_000))) throw new Error('the worker delivered nothing during warm-up');

    const receivedBefore = receiver.ids.size;
    const requestsBefore = receiver.requests;
    const started = performance.now();
    await insertNotifications(stack.pool, agency.id, NOTIFICATIONS, 'bench');
    const complete = await receiver.until(receivedBefore + NOTIFICATIONS, TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    const received = receiver.ids.size - receivedBefore;

    // Let the last outcomes be recorded, then read the delivery lag the worker measured.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { rows } = (await stack.pool.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))::float8 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))::float8 AS p99
         FROM notifications WHERE dedupe_key LIKE 'bench:%' AND delivery_state = 'delivered'`,
    )) as { rows: { p50: number | null; p99: number | null }[] };
    const round = (value: number | null, digits = 2): number | null => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);
    return {
      notifications: NOTIFICATIONS,
      workers: WORKERS,
      received,
      requests: receiver.requests - requestsBefore,
      seconds: round(seconds) as number,
      webhooksPerSecond: Math.round(received / seconds),
      lagP50Seconds: round(rows[0].p50),
      lagP99Seconds: round(rows[0].p99),
      withinTarget: complete && seconds <= TARGET_SECONDS,
    };
  } finally {
    await stack.stop();
    await receiver.stop();
  }
}

if (require.main === module) {
  runWebhooksBench()
    .then((result) => {
      console.log(`${result.received} of ${result.notifications} webhooks received in ${result.seconds} s (${result.webhooksPerSecond}/s)`);
      console.log(JSON.stringify(result, null, 2));
      if (!result.withinTarget) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
