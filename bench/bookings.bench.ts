import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { addDays, BenchStack, call, resortToday, startBenchStack } from './support/bench-stack';

/**
 * `npm run bench:bookings`: booking throughput on peak nights through HTTP, and, in the same
 * run, the per-transaction ceiling of the same workload measured with pgbench.
 *
 * Workload: check-in within 3 days of today, stays of 2–5 nights, 1–4 guests, confirmed.
 * Capacity of those nights is raised so that the run measures admission, not refusals.
 * Settings (env): BENCH_CONNECTIONS (64), BENCH_DURATION_SECONDS (20), BENCH_API_PROCESSES (2),
 * BENCH_SPREAD=true spreads check-ins over 180 days instead of 3 (the "spread-out" variant).
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 20);
const API_PROCESSES = Number(process.env.BENCH_API_PROCESSES ?? 2);
const CHECK_IN_DAYS = process.env.BENCH_SPREAD === 'true' ? 180 : 3;
const NATIONALITIES = ['RU', 'CN', 'KP', 'BY', 'VN'];

export interface BookingBenchResult {
  workload: string;
  bookingsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  refused: number;
  errors: number;
  pgbenchTransactionsPerSecond: number | null;
  ratio: number | null;
  invariantHolds: boolean;
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function bookingBody(today: string): string {
  const start = randomInt(0, CHECK_IN_DAYS - 1);
  const nights = randomInt(2, 5);
  const guests = Array.from({ length: randomInt(1, 4) }, (_, index) => ({
    fullName: `Bench Guest ${index}`,
    nationality: NATIONALITIES[randomInt(0, NATIONALITIES.length - 1)],
  }));
  return JSON.stringify({ checkIn: addDays(today, start), checkOut: addDays(today, start + nights), guests });
}

async function raiseCapacity(stack: BenchStack, today: string): Promise<void> {
  for (let offset = 0; offset < CHECK_IN_DAYS + 5; offset++) {
    await call(stack.apiUrls[0], stack.operationsKey, 'PUT', `/v1/capacity/${addDays(today, offset)}`, { capacity: 1_000_000 });
  }
}

async function runHttpLoad(stack: BenchStack, agentKey: string, today: string): Promise<autocannon.Result[]> {
  // One autocannon instance per API process, connections split between them (a load balancer's job in production).
  return Promise.all(
    stack.apiUrls.map(
      (url) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          autocannon(
            {
              url,
              connections: Math.max(1, Math.round(CONNECTIONS / stack.apiUrls.length)),
              duration: DURATION_SECONDS,
              requests: [
                {
                  method: 'POST',
                  path: '/v1/bookings',
                  setupRequest: (request) => ({
                    ...request,
                    headers: {
                      'content-type': 'application/json',
                      authorization: `Bearer ${agentKey}`,
                      'idempotency-key': randomUUID(),
                    },
                    body: bookingBody(today),
                  }),
                },
              ],
            },
            (error, result) => (error ? reject(error) : resolve(result)),
          );
        }),
    ),
  );
}

/** Every night's `reserved` must equal the guests of the live bookings that include it. */
async function invariantHolds(stack: BenchStack): Promise<boolean> {
  const { rows } = await stack.pool.query(`
    WITH live AS (
      SELECT night::date AS date, sum(guest_count) AS guests
        FROM bookings, generate_series(check_in, check_out - 1, interval '1 day') AS night
       WHERE status IN ('held', 'confirmed') GROUP BY 1)
    SELECT count(*)::int AS mismatches FROM nights n FULL JOIN live l ON l.date = n.date
     WHERE COALESCE(n.reserved, 0) <> COALESCE(l.guests, 0) OR n.reserved > n.capacity`);
  return rows[0].mismatches === 0;
}

/**
 * The ceiling of one-booking-per-transaction: pgbench runs the same statements a booking needs
 * (lock its nights in date order, add the guests, insert the booking) with the same number of
 * clients, each transaction committing on its own.
 */
function pgbenchCeiling(stack: BenchStack, agencyId: string, today: string): number | null {
  const script = `
\\set start random(0, ${CHECK_IN_DAYS - 1})
\\set nights random(2, 5)
\\set guests random(1, 4)
BEGIN;
SELECT date FROM nights WHERE date >= '${today}'::date + :start AND date < '${today}'::date + :start + :nights ORDER BY date FOR UPDATE;
UPDATE nights SET reserved = reserved + :guests, updated_at = now() WHERE date >= '${today}'::date + :start AND date < '${today}'::date + :start + :nights;
INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities)
  SELECT 'PGB-' || substr(md5(random()::text || clock_timestamp()::text), 1, 12), '${agencyId}', 'confirmed',
         '${today}'::date + :start, '${today}'::date + :start + :nights, g, jsonb_array_length(g), ARRAY['RU']
    FROM (SELECT jsonb_agg(jsonb_build_object('fullName', 'Bench Guest', 'nationality', 'RU')) AS g FROM generate_series(1, :guests)) AS party;
COMMIT;
`;
  const directory = mkdtempSync(path.join(tmpdir(), 'kalma-pgbench-'));
  const scriptPath = path.join(directory, 'booking.sql');
  writeFileSync(scriptPath, script);
  try {
    const output = execFileSync(
      'pgbench',
      ['-n', '-c', String(CONNECTIONS), '-j', '2', '-T', String(DURATION_SECONDS), '-f', scriptPath, stack.databaseUrl],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const match = /tps = ([\d.]+)/.exec(output);
    return match ? Number(match[1]) : null;
  } catch (error) {
    console.error(`pgbench could not run (${(error as Error).message.split('\n')[0]}); install the PostgreSQL client tools for the ceiling`);
    return null;
  }
}

export async function runBookingsBench(): Promise<BookingBenchResult> {
  const stack = await startBenchStack({ apiProcesses: API_PROCESSES });
  try {
    const today = resortToday();
    await raiseCapacity(stack, today);
    const agency = await call(stack.apiUrls[0], stack.operationsKey, 'POST', '/v1/agencies', { name: 'Bench Travel' });
    const { key: agentKey } = await call(stack.apiUrls[0], stack.operationsKey, 'POST', `/v1/agencies/${agency.id}/api-keys`, { label: 'bench' });

    // Warm up (JIT, connection pools), then measure.
    await Promise.all(Array.from({ length: 200 }, () => fetch(`${stack.apiUrls[0]}/v1/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agentKey}` },
      body: bookingBody(today),
    })));
    const { rows: before } = await stack.pool.query(`SELECT count(*)::int AS count FROM bookings`);
    const results = await runHttpLoad(stack, agentKey, today);
    const { rows: after } = await stack.pool.query(`SELECT count(*)::int AS count FROM bookings`);
    const created = after[0].count - before[0].count;

    const totalRequests = results.reduce((sum, result) => sum + result.requests.total, 0);
    const weighted = (pick: (result: autocannon.Result) => number): number =>
      results.reduce((sum, result) => sum + pick(result) * result.requests.total, 0) / Math.max(totalRequests, 1);
    const non2xx = results.reduce((sum, result) => sum + result.non2xx, 0);
    const errors = results.reduce((sum, result) => sum + result.errors + result.timeouts, 0);
    const holds = await invariantHolds(stack);

    // pgbench needs the connections the API pools were holding.
    await stack.stopProcesses();
    const ceiling = pgbenchCeiling(stack, agency.id, today);
    const bookingsPerSecond = created / DURATION_SECONDS;
    return {
      workload: CHECK_IN_DAYS === 3 ? 'peak nights (check-in within 3 days)' : `spread (check-in within ${CHECK_IN_DAYS} days)`,
      bookingsPerSecond: Math.round(bookingsPerSecond),
      p50Ms: Math.round(weighted((result) => result.latency.p50)),
      // autocannon reports p99 per instance; the request-weighted mean of the instances' p99 is close to the combined p99.
      p99Ms: Math.round(Math.max(...results.map((result) => result.latency.p99))),
      refused: non2xx,
      errors,
      pgbenchTransactionsPerSecond: ceiling === null ? null : Math.round(ceiling),
      ratio: ceiling ? Math.round((bookingsPerSecond / ceiling) * 100) / 100 : null,
      invariantHolds: holds,
    };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  runBookingsBench()
    .then((result) => {
      console.log(JSON.stringify(result, null, 2));
      if (!result.invariantHolds) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
