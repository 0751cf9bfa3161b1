import { ChildProcess, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  addDays,
  BenchStack,
  call,
  invariantsHold,
  localPostgresPids,
  measureCpu,
  resortToday,
  sampleResidentMemory,
  startBenchStack,
} from './support/bench-stack';

/**
 * `npm run bench:bookings`: booking throughput on peak nights through HTTP, and, in the same
 * run, the per-transaction ceiling of the same workload measured with pgbench.
 *
 * Workload: check-in within 3 days of today, stays of 2–5 nights, 1–4 guests, confirmed.
 * Capacity of those nights (and seats of those flights) is raised so that the run measures
 * admission, not refusals. Settings (env): BENCH_CONNECTIONS (64), BENCH_DURATION_SECONDS (20),
 * BENCH_WARM_UP_SECONDS (5), BENCH_API_PROCESSES (2); BENCH_SPREAD=true spreads check-ins over
 * 180 days instead of 3 (the "spread-out" variant); BENCH_FLIGHTS=true books an outbound and a
 * return flight with every stay (nights and seats admitted together); BENCH_AMENDMENTS=true makes
 * 20 % of the measured requests amend an existing booking's dates (PATCH, a new stay of the same
 * workload) and reports bookings + amendments per second.
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 20);
/**
 * The same load, unmeasured, before the measured seconds. Every API process needs it: a cold
 * one (code not yet optimised by the JIT, pool connections still opening) answers its first
 * seconds several times slower, and those requests were most of the p99 when only a few
 * hundred warm-up requests went to the first process.
 */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 5);
const API_PROCESSES = Number(process.env.BENCH_API_PROCESSES ?? 2);
const NATIONALITIES = ['RU', 'CN', 'KP', 'BY', 'VN'];
/** Stays are 2–5 nights, so check-outs fall this many days after the first check-in at most. */
const MAX_NIGHTS = 5;

export interface BookingWorkload {
  /** Check-ins within this many days of today: 3 for peak nights, 180 spread out. */
  checkInDays: number;
  /** Each booking also takes a seat per guest on an outbound and a return flight. */
  withFlights: boolean;
  /** Share of the measured requests that amend an existing booking's dates instead of booking (0 for none). */
  amendmentShare: number;
}

export function workloadFromEnvironment(): BookingWorkload {
  return {
    checkInDays: process.env.BENCH_SPREAD === 'true' ? 180 : 3,
    withFlights: process.env.BENCH_FLIGHTS === 'true',
    amendmentShare: process.env.BENCH_AMENDMENTS === 'true' ? 0.2 : 0,
  };
}

export function describeWorkload(workload: BookingWorkload): string {
  // With flights the first check-in is tomorrow (see runBookingsBench), so the days are counted from it.
  const from = workload.withFlights ? ' from tomorrow' : '';
  const nights =
    workload.checkInDays <= 3
      ? `peak nights (check-in within ${workload.checkInDays} days${from})`
      : `spread out (check-in within ${workload.checkInDays} days${from})`;
  const described = workload.withFlights ? `${nights}, with outbound and return flights` : `${nights}, stay only`;
  return workload.amendmentShare > 0
    ? `${described}, ${Math.round(workload.amendmentShare * 100)} % of requests amend a booking's dates`
    : described;
}

/** Flight ids by resort date: outbound flights arrive on it, return flights leave on it. */
interface BenchFlights {
  outbound: Map<string, string>;
  return: Map<string, string>;
}

export interface BookingBenchResult {
  workload: string;
  connections: number;
  apiProcesses: number;
  bookingsPerSecond: number;
  /** With BENCH_AMENDMENTS: amendments applied per second, and bookings + amendments per second. */
  amendmentsPerSecond?: number;
  bookingsAndAmendmentsPerSecond?: number;
  p50Ms: number;
  p99Ms: number;
  refused: number;
  /** The refusals by status and problem code, most frequent first. */
  refusedByCode: Record<string, number>;
  errors: number;
  pgbenchTransactionsPerSecond: number | null;
  ratio: number | null;
  invariantHolds: boolean;
  /**
   * CPU time per booking during the load, in ms (Linux /proc; null where it cannot be read, e.g. a
   * remote PostgreSQL): the API processes, the PostgreSQL server's processes, and this process
   * (the load generator). The stack runs no worker here.
   */
  cpuMsPerBooking: { api: number | null; postgres: number | null; loadGenerator: number };
  /** Peak resident memory of each API process during the load (MB). */
  apiPeakResidentMb: (number | null)[];
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** A stay of the workload: check-in within its days, 2–5 nights. */
function stayOf(workload: BookingWorkload, today: string): { checkIn: string; checkOut: string } {
  const start = randomInt(0, workload.checkInDays - 1);
  return { checkIn: addDays(today, start), checkOut: addDays(today, start + randomInt(2, MAX_NIGHTS)) };
}

export function bookingBody(workload: BookingWorkload, today: string, flights: BenchFlights | null): string {
  const guests = Array.from({ length: randomInt(1, 4) }, (_, index) => ({
    fullName: `Bench Guest ${index}`,
    nationality: NATIONALITIES[randomInt(0, NATIONALITIES.length - 1)],
  }));
  const { checkIn, checkOut } = stayOf(workload, today);
  const segments = flights ? { outboundFlightId: flights.outbound.get(checkIn), returnFlightId: flights.return.get(checkOut) } : {};
  return JSON.stringify({ checkIn, checkOut, guests, ...segments });
}

export async function raiseCapacity(stack: BenchStack, workload: BookingWorkload, today: string): Promise<void> {
  for (let offset = 0; offset < workload.checkInDays + MAX_NIGHTS; offset++) {
    await call(stack.apiUrls[0], stack.operationsKey, 'PUT', `/v1/capacity/${addDays(today, offset)}`, { capacity: 1_000_000 });
  }
}

/**
 * One Moscow charter a day each way, with seats to spare: an outbound landing at the resort
 * every check-in date (10:00 resort time) and a return leaving every check-out date (14:00).
 */
async function scheduleFlights(stack: BenchStack, workload: BookingWorkload, today: string): Promise<BenchFlights> {
  const api = stack.apiUrls[0];
  const key = stack.operationsKey;
  const inbound = await call(api, key, 'POST', '/v1/routes', { origin: 'SVO', destination: 'WOS' });
  const outbound = await call(api, key, 'POST', '/v1/routes', { origin: 'WOS', destination: 'SVO' });
  const flights: BenchFlights = { outbound: new Map(), return: new Map() };
  const at = (date: string, time: string): string => `${date}T${time}:00+09:00`;
  for (let offset = 0; offset < workload.checkInDays + MAX_NIGHTS; offset++) {
    const date = addDays(today, offset);
    if (offset < workload.checkInDays) {
      const flight = await call(api, key, 'POST', '/v1/flights', {
        routeId: inbound.id,
        flightNumber: `KB${1000 + offset}`,
        departureAt: at(date, '02:00'),
        arrivalAt: at(date, '10:00'),
        seats: 1_000_000,
      });
      flights.outbound.set(date, flight.id);
    }
    if (offset >= 2) {
      const flight = await call(api, key, 'POST', '/v1/flights', {
        routeId: outbound.id,
        flightNumber: `KB${5000 + offset}`,
        departureAt: at(date, '14:00'),
        arrivalAt: at(date, '22:00'),
        seats: 1_000_000,
      });
      flights.return.set(date, flight.id);
    }
  }
  return flights;
}

/** One request of the load: a booking, or (BENCH_AMENDMENTS) an amendment. */
export interface LoadRequest {
  method: 'POST' | 'PATCH';
  path: string;
  body: string;
}

/** A booking the amendments may move, with the stay it was last sent to. */
interface AmendableBooking {
  id: string;
  checkIn: string;
  checkOut: string;
}

/**
 * With amendments, a share of the requests moves an existing booking (one of `amendable`) to a new
 * stay of the workload, with its flights where the workload has them; the rest book. The new stay
 * differs from the one the booking was last moved to: the same stay again changes nothing, which
 * the API refuses (400), and at peak nights (3 check-ins, 2 to MAX_NIGHTS nights) one pick in
 * twelve would be that.
 */
function nextRequest(workload: BookingWorkload, today: string, flights: BenchFlights | null, amendable: AmendableBooking[]): LoadRequest {
  if (amendable.length > 0 && Math.random() < workload.amendmentShare) {
    const booking = amendable[randomInt(0, amendable.length - 1)];
    let stay = stayOf(workload, today);
    while (stay.checkIn === booking.checkIn && stay.checkOut === booking.checkOut) stay = stayOf(workload, today);
    Object.assign(booking, stay);
    const segments = flights
      ? { outboundFlightId: flights.outbound.get(stay.checkIn), returnFlightId: flights.return.get(stay.checkOut) }
      : {};
    return {
      method: 'PATCH',
      path: `/v1/bookings/${booking.id}`,
      body: JSON.stringify({ ...stay, ...segments }),
    };
  }
  return { method: 'POST', path: '/v1/bookings', body: bookingBody(workload, today, flights) };
}

/** The one request of an autocannon load: `next()`'s request, sent as the agent of `agentKey()`, each with its own idempotency key. */
export function agentRequest(agentKey: () => string, next: () => LoadRequest): autocannon.Request {
  return {
    method: 'POST',
    path: '/v1/bookings',
    setupRequest: (request) => {
      const { method, path: requestPath, body } = next();
      return {
        ...request,
        method,
        path: requestPath,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agentKey()}`, 'idempotency-key': randomUUID() },
        body,
      };
    },
    onResponse: (status, body) => {
      if (status < 300) return;
      if (refusalSamples.length < 3) refusalSamples.push(`${status} ${body.slice(0, 300)}`);
      const kind = `${status} ${/"code":"([a-z_]+)"/.exec(body)?.[1] ?? 'no code'}`;
      refusalsByCode.set(kind, (refusalsByCode.get(kind) ?? 0) + 1);
    },
  };
}

/** The first few refusals of this process's loads, for the error that reports a failed warm-up. */
const refusalSamples: string[] = [];
/** Refusals of the measured load by status and problem code (`409 capacity_exhausted`), so that a count of non-2xx says what they were. */
const refusalsByCode = new Map<string, number>();

async function runHttpLoad(
  stack: BenchStack,
  agentKey: string,
  next: () => LoadRequest,
  durationSeconds: number,
): Promise<autocannon.Result[]> {
  // One autocannon instance per API process, connections split between them (a load balancer's job in production).
  return Promise.all(
    stack.apiUrls.map(
      (url) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          autocannon(
            {
              url,
              connections: Math.max(1, Math.round(CONNECTIONS / stack.apiUrls.length)),
              duration: durationSeconds,
              requests: [agentRequest(() => agentKey, next)],
            },
            (error: Error | null, result) => (error ? reject(error) : resolve(result)),
          );
        }),
    ),
  );
}

/**
 * The ceiling of one-booking-per-transaction: pgbench runs the same statements a booking needs
 * (lock its nights in date order, then its flights, add the guests, insert the booking) with the
 * same number of clients, each transaction committing on its own.
 */
function pgbenchCeiling(stack: BenchStack, workload: BookingWorkload, agencyId: string, today: string): number | null {
  const flightStatements = workload.withFlights
    ? `
SELECT id FROM flights WHERE flight_number IN ('KB' || (1000 + :start), 'KB' || (5000 + :start + :nights)) ORDER BY id FOR UPDATE;
UPDATE flights SET seats_reserved = seats_reserved + :guests WHERE flight_number IN ('KB' || (1000 + :start), 'KB' || (5000 + :start + :nights));`
    : '';
  const flightColumns = workload.withFlights ? ', outbound_flight_id, return_flight_id' : '';
  const flightValues = workload.withFlights
    ? `, (SELECT id FROM flights WHERE flight_number = 'KB' || (1000 + :start)), (SELECT id FROM flights WHERE flight_number = 'KB' || (5000 + :start + :nights))`
    : '';
  const script = `
\\set start random(0, ${workload.checkInDays - 1})
\\set nights random(2, ${MAX_NIGHTS})
\\set guests random(1, 4)
BEGIN;
SELECT date FROM nights WHERE date >= '${today}'::date + :start AND date < '${today}'::date + :start + :nights ORDER BY date FOR UPDATE;
UPDATE nights SET reserved = reserved + :guests, updated_at = now() WHERE date >= '${today}'::date + :start AND date < '${today}'::date + :start + :nights;${flightStatements}
INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities${flightColumns})
  SELECT 'PGB-' || substr(md5(random()::text || clock_timestamp()::text), 1, 12), '${agencyId}', 'confirmed',
         '${today}'::date + :start, '${today}'::date + :start + :nights, g, jsonb_array_length(g), ARRAY['RU']${flightValues}
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
    console.error(
      `pgbench could not run (${(error as Error).message.split('\n')[0]}); install the PostgreSQL client tools for the ceiling`,
    );
    return null;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

export async function runBookingsBench(workload: BookingWorkload = workloadFromEnvironment()): Promise<BookingBenchResult> {
  const stack = await startBenchStack({ apiProcesses: API_PROCESSES });
  try {
    // The first check-in date. With flights it is tomorrow: today's charter (02:00 resort time)
    // has usually left already, and a departed flight refuses bookings (409 flight_unavailable).
    const today = workload.withFlights ? addDays(resortToday(), 1) : resortToday();
    await raiseCapacity(stack, workload, today);
    const flights = workload.withFlights ? await scheduleFlights(stack, workload, today) : null;
    // Bookings to amend (BENCH_AMENDMENTS): those the warm-up made, read once it is over.
    const amendable: AmendableBooking[] = [];
    const next = (): LoadRequest => nextRequest(workload, today, flights, amendable);
    const agency = await call(stack.apiUrls[0], stack.operationsKey, 'POST', '/v1/agencies', { name: 'Bench Travel' });
    const { key: agentKey } = await call(stack.apiUrls[0], stack.operationsKey, 'POST', `/v1/agencies/${agency.id}/api-keys`, {
      label: 'bench',
    });

    // Warm up every API process (JIT, connection pools, caches) under the same load, then measure.
    const warmUp = await runHttpLoad(stack, agentKey, next, WARM_UP_SECONDS);
    const warmUpFailures = warmUp.reduce((sum, result) => sum + result.non2xx + result.errors, 0);
    if (warmUpFailures > 0) {
      const statuses = warmUp.map((result) => ({ statusCodes: result.statusCodeStats, errors: result.errors, timeouts: result.timeouts }));
      throw new Error(
        `${warmUpFailures} warm-up bookings failed or were refused: ${JSON.stringify(statuses)}; first: ${refusalSamples.join(' | ')}`,
      );
    }
    // Requests still in flight when the warm-up stopped commit meanwhile, not into the count.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (workload.amendmentShare > 0) {
      const { rows } = await stack.pool.query<AmendableBooking>(
        `SELECT id, to_char(check_in, 'YYYY-MM-DD') AS "checkIn", to_char(check_out, 'YYYY-MM-DD') AS "checkOut"
           FROM bookings WHERE status = 'confirmed' ORDER BY random() LIMIT 5000`,
      );
      amendable.push(...rows);
    }
    // Applied amendments are counted by the versions they added (nothing else changes a booking here).
    const { rows: before } = await stack.pool.query(
      `SELECT count(*)::int AS count, coalesce(sum(version - 1), 0)::int AS changes FROM bookings`,
    );
    const memory = sampleResidentMemory(stack.processes);
    const apiCpu = await measureCpu(() => pidsOf(stack.processes));
    const postgresCpu = await measureCpu(() => localPostgresPids(stack.pool));
    const loadGeneratorStart = process.cpuUsage();
    refusalsByCode.clear();
    const results = await runHttpLoad(stack, agentKey, next, DURATION_SECONDS);
    const loadGeneratorCpu = process.cpuUsage(loadGeneratorStart);
    const cpuMs = {
      api: await apiCpu.stop(),
      postgres: await postgresCpu.stop(),
      loadGenerator: (loadGeneratorCpu.user + loadGeneratorCpu.system) / 1000,
    };
    const apiPeakResidentMb = memory.stop();
    const { rows: after } = await stack.pool.query(
      `SELECT count(*)::int AS count, coalesce(sum(version - 1), 0)::int AS changes FROM bookings`,
    );
    const created = after[0].count - before[0].count;
    const amended = after[0].changes - before[0].changes;

    const totalRequests = results.reduce((sum, result) => sum + result.requests.total, 0);
    const weighted = (pick: (result: autocannon.Result) => number): number =>
      results.reduce((sum, result) => sum + pick(result) * result.requests.total, 0) / Math.max(totalRequests, 1);
    const non2xx = results.reduce((sum, result) => sum + result.non2xx, 0);
    const errors = results.reduce((sum, result) => sum + result.errors + result.timeouts, 0);
    const holds = await invariantsHold(stack.pool);

    // pgbench needs the connections the API pools were holding.
    await stack.stopProcesses();
    const ceiling = pgbenchCeiling(stack, workload, agency.id, today);
    const bookingsPerSecond = created / DURATION_SECONDS;
    return {
      workload: describeWorkload(workload),
      connections: CONNECTIONS,
      apiProcesses: API_PROCESSES,
      bookingsPerSecond: Math.round(bookingsPerSecond),
      ...(workload.amendmentShare > 0
        ? {
            amendmentsPerSecond: Math.round(amended / DURATION_SECONDS),
            bookingsAndAmendmentsPerSecond: Math.round((created + amended) / DURATION_SECONDS),
          }
        : {}),
      p50Ms: Math.round(weighted((result) => result.latency.p50)),
      // autocannon reports p99 per instance; the larger of the instances' p99 bounds the combined p99 from above.
      p99Ms: Math.round(Math.max(...results.map((result) => result.latency.p99))),
      refused: non2xx,
      refusedByCode: Object.fromEntries([...refusalsByCode].sort(([, first], [, second]) => second - first)),
      errors,
      pgbenchTransactionsPerSecond: ceiling === null ? null : Math.round(ceiling),
      ratio: ceiling ? Math.round((bookingsPerSecond / ceiling) * 100) / 100 : null,
      invariantHolds: holds,
      cpuMsPerBooking: {
        api: perBooking(cpuMs.api, created),
        postgres: perBooking(cpuMs.postgres, created),
        loadGenerator: perBooking(cpuMs.loadGenerator, created) ?? 0,
      },
      apiPeakResidentMb,
    };
  } finally {
    await stack.stop();
  }
}

const pidsOf = (processes: ChildProcess[]): number[] => processes.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));

/** ms of CPU per booking, to the microsecond. */
const perBooking = (milliseconds: number | null, bookings: number): number | null =>
  milliseconds === null || bookings <= 0 ? null : Math.round((milliseconds / bookings) * 1000) / 1000;

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
