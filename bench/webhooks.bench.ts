import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { call, startBenchStack } from './support/bench-stack';

/**
 * `node dist/bench/webhooks.bench.js`: webhook delivery throughput. One API and one worker
 * (BENCH_WORKERS to change it) on a fresh database; BENCH_NOTIFICATIONS (20,000) notification
 * rows are written in one transaction, shared evenly by BENCH_AGENCIES (1) agencies whose
 * webhooks are a local receiver in this process (a path per agency), and the clock runs from
 * that commit until the receiver has seen every webhook-id. The target is all 20,000 within 20 s
 * on a 2-core machine. Fairness: each agency's last delivery is timed, and BENCH_STUCK_AGENCIES
 * (0) more agencies get as large a backlog on a receiver that never answers (every request runs
 * into WEBHOOK_TIMEOUT_MS); their deliveries are not waited for. BENCH_IDLE_AGENCIES (0) more
 * agencies have 2,000 delivered notifications each and nothing due, as most agencies have
 * beside a ban; BENCH_ANALYZE=true analyses the table once the backlog is written, as
 * autovacuum's analyse would soon after a ban (its statistics then say most are pending).
 */
const NOTIFICATIONS = Number(process.env.BENCH_NOTIFICATIONS ?? 20_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const AGENCIES = Number(process.env.BENCH_AGENCIES ?? 1);
const STUCK_AGENCIES = Number(process.env.BENCH_STUCK_AGENCIES ?? 0);
const IDLE_AGENCIES = Number(process.env.BENCH_IDLE_AGENCIES ?? 0);
const IDLE_HISTORY = 2_000;
const ANALYZE = process.env.BENCH_ANALYZE === 'true';
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
  agencies: number;
  stuckAgencies: number;
  idleAgencies: number;
  analysed: boolean;
  /** Seconds from the commit to the last delivery of the agency served first, and of the one served last (null: none done). */
  firstAgencyDoneSeconds: number | null;
  lastAgencyDoneSeconds: number | null;
  /** At the end, the share of its backlog the least and the most served agency had received. */
  leastServedAgencyShare: number;
  mostServedAgencyShare: number;
  /** Requests the stuck agencies' receiver got (each one held until the worker gave up on it). */
  stuckRequests: number;
}

/** Counts distinct webhook-ids (a retried delivery is counted once) and notes when a count is reached. */
export class CountingReceiver {
  readonly ids = new Set<string>();
  /** When each new webhook-id arrived (epoch ms), in order. */
  readonly arrivedAt: number[] = [];
  requests = 0;
  /** Per path (an agency each): distinct webhook-ids and when the last new one arrived. */
  readonly byPath = new Map<string, { ids: Set<string>; lastAt: number }>();
  /** Requests to paths under /stuck/: never answered (the sender's timeout ends them). */
  stuckRequests = 0;
  private server?: Server;
  private waiting?: { count: number; resolve: () => void };
  url = '';
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const path = (request.url ?? '/').split('?')[0];
        if (path.startsWith('/stuck/')) {
          this.stuckRequests++;
          return; // held: the worker's timeout ends it
        }
        this.requests++;
        const id = request.headers['webhook-id'];
        if (typeof id === 'string' && !this.ids.has(id)) {
          this.ids.add(id);
          this.arrivedAt.push(Date.now());
          const agency = this.byPath.get(path) ?? { ids: new Set<string>(), lastAt: 0 };
          agency.ids.add(id);
          agency.lastAt = performance.now();
          this.byPath.set(path, agency);
        }
        response.writeHead(204).end();
        if (this.waiting && this.ids.size >= this.waiting.count) this.waiting.resolve();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    this.url = `${this.origin}/kalma`;
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

/** `count` notifications for each agency, interleaved (as a ban's chunks write them), in one statement. */
async function insertNotifications(
  pool: { query: (text: string, values: unknown[]) => Promise<unknown> },
  agencyIds: string[],
  count: number,
  tag: string,
): Promise<void> {
  await pool.query(
    `INSERT INTO notifications (agency_id, type, data, dedupe_key)
     SELECT agency.id, 'booking.cancelled',
            jsonb_build_object('bookingId', gen_random_uuid(), 'reference', 'KAL-' || lpad(i::text, 6, '0'), 'reason', 'restriction'),
            $2 || ':' || agency.n || ':' || i
       FROM generate_series(1, $3) AS i, unnest($1::uuid[]) WITH ORDINALITY AS agency(id, n)
      ORDER BY i, agency.n`,
    [agencyIds, tag, count],
  );
}

export async function runWebhooksBench(): Promise<WebhookBenchResult> {
  const receiver = new CountingReceiver();
  await receiver.start();
  // WEBHOOK_* settings of this shell (e.g. WEBHOOK_CONCURRENCY) are handed to the worker, to compare tunings.
  const tuning = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('WEBHOOK_') && entry[1] !== undefined),
  );
  const stack = await startBenchStack({ apiProcesses: 1, workers: WORKERS, env: { WORKER_METRICS_PORT: '0', ...tuning } });
  try {
    const agencyIds: string[] = [];
    for (let index = 0; index < AGENCIES; index++) {
      const webhookUrl = AGENCIES === 1 ? receiver.url : `${receiver.origin}/agency/${index}`;
      agencyIds.push(
        (await call(stack.apiUrls[0], stack.operationsKey, 'POST', '/v1/agencies', { name: `Bench Webhooks ${index}`, webhookUrl })).id,
      );
    }
    const stuckIds: string[] = [];
    for (let index = 0; index < STUCK_AGENCIES; index++) {
      const webhookUrl = `${receiver.origin}/stuck/${index}`;
      stuckIds.push(
        (await call(stack.apiUrls[0], stack.operationsKey, 'POST', '/v1/agencies', { name: `Bench Stuck ${index}`, webhookUrl })).id,
      );
    }

    const idleIds: string[] = [];
    for (let index = 0; index < IDLE_AGENCIES; index++) {
      const webhookUrl = `${receiver.origin}/idle/${index}`;
      idleIds.push(
        (await call(stack.apiUrls[0], stack.operationsKey, 'POST', '/v1/agencies', { name: `Bench Idle ${index}`, webhookUrl })).id,
      );
    }
    if (idleIds.length > 0) {
      // Their past: delivered long ago, nothing due.
      await stack.pool.query(
        `INSERT INTO notifications (agency_id, type, data, dedupe_key, delivery_state, next_attempt_at, delivered_at)
         SELECT agency, 'booking.cancelled', '{}'::jsonb, 'idle:' || agency || ':' || i, 'delivered', NULL, now()
           FROM generate_series(1, $2::int) AS i, unnest($1::uuid[]) AS agency`,
        [idleIds, IDLE_HISTORY],
      );
    }

    // Warm-up: the worker is up and delivering (schedulers declared, pools and connections open).
    await insertNotifications(stack.pool, agencyIds, Math.ceil(200 / AGENCIES), 'warm-up');
    if (!(await receiver.until(Math.ceil(200 / AGENCIES) * AGENCIES, 60_000)))
      throw new Error('the worker delivered nothing during warm-up');

    const perAgency = Math.ceil(NOTIFICATIONS / AGENCIES);
    const total = perAgency * AGENCIES;
    const receivedBefore = receiver.ids.size;
    const requestsBefore = receiver.requests;
    const donePerPathBefore = new Map([...receiver.byPath].map(([path, agency]) => [path, agency.ids.size]));
    const started = performance.now();
    // The stuck agencies' backlog first, so that it is what is due first.
    if (stuckIds.length > 0) await insertNotifications(stack.pool, stuckIds, perAgency, 'stuck');
    await insertNotifications(stack.pool, agencyIds, perAgency, 'bench');
    if (ANALYZE) await stack.pool.query('ANALYZE notifications');
    const complete = await receiver.until(receivedBefore + total, TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    const received = receiver.ids.size - receivedBefore;
    const agencyDone = [...receiver.byPath]
      .filter(([path, agency]) => agency.ids.size - (donePerPathBefore.get(path) ?? 0) >= perAgency)
      .map(([, agency]) => (agency.lastAt - started) / 1000);
    const agencyShares = [...receiver.byPath].map(([path, agency]) => (agency.ids.size - (donePerPathBefore.get(path) ?? 0)) / perAgency);

    // Let the last outcomes be recorded, then read the delivery lag the worker measured.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { rows } = (await stack.pool.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))::float8 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - created_at))::float8 AS p99
         FROM notifications WHERE dedupe_key LIKE 'bench:%' AND delivery_state = 'delivered'`,
    )) as { rows: { p50: number | null; p99: number | null }[] };
    const round = (value: number | null, digits = 2): number | null =>
      value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
    return {
      agencies: AGENCIES,
      stuckAgencies: STUCK_AGENCIES,
      idleAgencies: IDLE_AGENCIES,
      analysed: ANALYZE,
      firstAgencyDoneSeconds: agencyDone.length > 0 ? round(Math.min(...agencyDone)) : null,
      lastAgencyDoneSeconds: agencyDone.length > 0 ? round(Math.max(...agencyDone)) : null,
      leastServedAgencyShare: round(Math.min(...agencyShares)) as number,
      mostServedAgencyShare: round(Math.max(...agencyShares)) as number,
      stuckRequests: receiver.stuckRequests,
      notifications: total,
      workers: WORKERS,
      received,
      requests: receiver.requests - requestsBefore,
      seconds: round(seconds) as number,
      webhooksPerSecond: Math.round(received / seconds),
      lagP50Seconds: round(rows[0].p50),
      lagP99Seconds: round(rows[0].p99),
      withinTarget: complete && seconds <= Math.max(TARGET_SECONDS, (180 * total) / 1_000_000),
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
