import autocannon from 'autocannon';
import { addDays, BenchStack, call, resortToday, startBenchStack } from './support/bench-stack';

/**
 * `node dist/bench/read-paths.bench.js`: the read paths with a large table.
 *  - the capacity calendar of 366 nights (target p99 ≤ 10 ms);
 *  - with BENCH_BOOKINGS (default 1,000,000) bookings loaded set-based in SQL: one agency's
 *    booking list page (target p99 ≤ 20 ms) and a ban preview of all foreigners but one
 *    nationality (target ≤ 500 ms, issue 13; the slowest of five), the agencies' party policies
 *    a third each of cancel_booking, remove_covered_guests and ask, so that the preview decides
 *    for the mixed parties whether an adult is left;
 *  - with BENCH_AUDIT_EVENTS (default 5,000,000) audit events loaded set-based in SQL: the first
 *    page of "everything one restriction did", `GET /v1/audit-events?causeId=…` (target p99 ≤ 20 ms).
 */
const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 1_000_000);
const AUDIT_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 5_000_000);
/** Restrictions the seeded system events are caused by: a few thousand events each. */
const AUDIT_CAUSES = 500;
const AGENCIES = 200;
const PARTY_POLICIES = ['cancel_booking', 'remove_covered_guests', 'ask'];

export interface ReadPathsResult {
  calendarP50Ms: number;
  calendarP99Ms: number;
  calendarRequestsPerSecond: number;
  bookingsLoaded: number;
  seedSeconds: number;
  listP50Ms: number;
  listP99Ms: number;
  previewMs: number | null;
  previewAffectedBookings: number | null;
  previewBookingsToReduce: number | null;
  /** Rows of the preview's party counts (live_party_counts) when measured; null where the table does not exist. */
  previewPartyCountRows: number | null;
  auditEventsLoaded: number;
  auditSeedSeconds: number;
  auditByCauseP50Ms: number;
  auditByCauseP99Ms: number;
}

/** Unmeasured seconds of the same requests first, so that JIT compilation and cold caches stay out of the figures. */
const WARM_UP_SECONDS = 2;

/**
 * Latency targets are per request, so the load is one client after the other (autocannon with one
 * connection): the figures are the service time, not a queue behind other clients.
 */
async function load(url: string, path: string, key: string, seconds: number): Promise<autocannon.Result> {
  const run = (duration: number): Promise<autocannon.Result> =>
    new Promise((resolve, reject) =>
      autocannon(
        { url: `${url}${path}`, connections: 1, duration, headers: { authorization: `Bearer ${key}` } },
        (error: Error | null, result) => (error ? reject(error) : resolve(result)),
      ),
    );
  await run(WARM_UP_SECONDS);
  return run(seconds);
}

/**
 * Loads bookings straight into the tables, set-based: spread over the next year, 1–4 guests,
 * mixed nationalities, across many agencies; then rebuilds the night counters from them so the
 * invariant holds exactly as if they had come through the API.
 */
async function seedBookings(stack: BenchStack, today: string): Promise<string[]> {
  const { rows: agencies } = await stack.pool
    .query<{ id: string }>(
      `INSERT INTO agencies (name, webhook_secret, party_policy)
     SELECT 'Bench agency ' || n, 'whsec_' || encode(gen_random_bytes(24), 'base64'), ($2::text[])[1 + n % 3] FROM generate_series(1, $1) n RETURNING id`,
      [AGENCIES, PARTY_POLICIES],
    )
    .catch(async () =>
      stack.pool.query<{ id: string }>(
        `INSERT INTO agencies (name, webhook_secret, party_policy)
       SELECT 'Bench agency ' || n, 'whsec_' || md5(random()::text), ($2::text[])[1 + n % 3] FROM generate_series(1, $1) n RETURNING id`,
        [AGENCIES, PARTY_POLICIES],
      ),
    );
  const agencyIds = agencies.map((agency) => agency.id);
  const nationalities = ['RU', 'CN', 'KP', 'BY', 'VN', 'DE', 'US', 'GB', 'IR', 'LA'];
  const chunk = 250_000;
  for (let offset = 0; offset < BOOKINGS; offset += chunk) {
    await stack.pool.query(
      `INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities,
                             cancellation_reason, cancelled_at, created_at, updated_at)
       SELECT 'B' || lpad(to_hex(n), 9, '0'), ($3::uuid[])[1 + n % array_length($3::uuid[], 1)],
              CASE WHEN n % 10 = 0 THEN 'cancelled' ELSE 'confirmed' END,
              $4::date + (n % 360), $4::date + (n % 360) + 1 + (n % 5),
              g.guests, jsonb_array_length(g.guests), g.nationalities,
              CASE WHEN n % 10 = 0 THEN 'agent_request' END, CASE WHEN n % 10 = 0 THEN now() END,
              now() - (n || ' seconds')::interval, now()
         FROM generate_series($1::int, $2::int) AS n
         CROSS JOIN LATERAL (
           SELECT jsonb_agg(jsonb_build_object('fullName', 'Guest ' || k, 'nationality', ($5::text[])[1 + (n + k * 7) % 10])) AS guests,
                  ARRAY(SELECT DISTINCT ($5::text[])[1 + (n + k2 * 7) % 10] FROM generate_series(1, 1 + n % 4) k2 ORDER BY 1) AS nationalities
             FROM generate_series(1, 1 + n % 4) k
         ) AS g`,
      [offset + 1, Math.min(offset + chunk, BOOKINGS), agencyIds, today, nationalities],
    );
  }
  await stack.pool.query(`
    INSERT INTO nights (date, capacity, reserved, held)
    SELECT night::date, 1000000, sum(guest_count), 0
      FROM bookings, generate_series(check_in, check_out - 1, interval '1 day') AS night
     WHERE status IN ('held', 'confirmed') GROUP BY 1
    ON CONFLICT (date) DO UPDATE SET capacity = EXCLUDED.capacity, reserved = EXCLUDED.reserved`);
  await stack.pool.query('ANALYZE');
  return agencyIds;
}

/**
 * Loads audit events straight into the table, set-based, spread over the last 90 days: a third
 * are a ban's system events (booking.cancelled, caused by one of AUDIT_CAUSES restrictions),
 * the rest requests' events made with one of a hundred keys. Returns one of the causes.
 */
async function seedAuditEvents(stack: BenchStack): Promise<string> {
  const { rows } = await stack.pool.query<{ causes: string[]; keys: string[] }>(
    `SELECT ARRAY(SELECT gen_random_uuid() FROM generate_series(1, $1)) AS causes, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 100)) AS keys`,
    [AUDIT_CAUSES],
  );
  const { causes, keys } = rows[0];
  const chunk = 500_000;
  for (let offset = 0; offset < AUDIT_EVENTS; offset += chunk) {
    await stack.pool.query(
      `INSERT INTO audit_events (at, action, entity_type, entity_id, actor_type, actor_key_id, actor_role, cause_type, cause_id, changes, request_id)
       SELECT now() - interval '90 days' * (1 - n::float8 / $3), CASE WHEN n % 3 = 0 THEN 'booking.cancelled' ELSE 'booking.confirmed' END,
              'booking', gen_random_uuid()::text, CASE WHEN n % 3 = 0 THEN 'system' ELSE 'api_key' END,
              CASE WHEN n % 3 = 0 THEN NULL ELSE ($5::uuid[])[1 + n % 100] END, CASE WHEN n % 3 = 0 THEN NULL ELSE 'agent' END,
              CASE WHEN n % 3 = 0 THEN 'restriction' ELSE 'request' END, CASE WHEN n % 3 = 0 THEN ($4::uuid[])[1 + (n / 3) % $6] END,
              CASE WHEN n % 3 = 0
                THEN '{"status": {"from": "confirmed", "to": "cancelled"}, "cancellationReason": {"from": null, "to": "restriction"}}'::jsonb
                ELSE '{"status": {"from": "held", "to": "confirmed"}, "holdExpiresAt": {"from": "2027-01-01T00:00:00.000Z", "to": null}}'::jsonb END,
              CASE WHEN n % 3 = 0 THEN NULL ELSE md5(n::text) END
         FROM generate_series($1::int, $2::int) AS n`,
      [offset + 1, Math.min(offset + chunk, AUDIT_EVENTS), AUDIT_EVENTS, causes, keys, AUDIT_CAUSES],
    );
  }
  await stack.pool.query('ANALYZE audit_events');
  return causes[Math.floor(AUDIT_CAUSES / 2)];
}

export async function runReadPathsBench(): Promise<ReadPathsResult> {
  const stack = await startBenchStack({ apiProcesses: 1 });
  try {
    const today = resortToday();
    const api = stack.apiUrls[0];
    const calendar = await load(api, `/v1/capacity?from=${today}&to=${addDays(today, 366)}`, stack.operationsKey, 10);

    const seedStarted = Date.now();
    const agencyIds = await seedBookings(stack, today);
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    const { key } = await call(api, stack.operationsKey, 'POST', `/v1/agencies/${agencyIds[0]}/api-keys`, { label: 'bench' });
    const list = await load(api, '/v1/bookings?limit=50', key, 10);

    // The preview reads every live booking in the window: measured five times, the slowest reported.
    let previewMs: number | null = null;
    let previewAffectedBookings: number | null = null;
    let previewBookingsToReduce: number | null = null;
    try {
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        const preview = await call(api, stack.operationsKey, 'POST', '/v1/restrictions/preview', {
          allForeign: true,
          except: ['RU'],
          effectiveFrom: new Date().toISOString(),
          reason: 'benchmark preview',
        });
        previewMs = Math.max(previewMs ?? 0, Math.round(performance.now() - started));
        previewAffectedBookings = preview.affectedBookings;
        previewBookingsToReduce = preview.bookingsToReduce;
      }
    } catch (error) {
      console.error(`preview not measured: ${(error as Error).message}`);
    }
    const auditSeedStarted = Date.now();
    const causeId = await seedAuditEvents(stack);
    const auditSeedSeconds = (Date.now() - auditSeedStarted) / 1000;
    const byCause = await load(api, `/v1/audit-events?causeId=${causeId}`, stack.operationsKey, 10);
    const { rows: audited } = await stack.pool.query(`SELECT count(*)::int AS count FROM audit_events`);

    const { rows } = await stack.pool.query(`SELECT count(*)::int AS count FROM bookings`);
    const partyCountRows = await stack.pool
      .query<{ count: number }>(`SELECT count(*)::int AS count FROM live_party_counts`)
      .then((result) => result.rows[0].count)
      .catch(() => null);
    return {
      calendarP50Ms: calendar.latency.p50,
      calendarP99Ms: calendar.latency.p99,
      calendarRequestsPerSecond: Math.round(calendar.requests.average),
      bookingsLoaded: rows[0].count,
      seedSeconds: Math.round(seedSeconds),
      listP50Ms: list.latency.p50,
      listP99Ms: list.latency.p99,
      previewMs,
      previewAffectedBookings,
      previewBookingsToReduce,
      previewPartyCountRows: partyCountRows,
      auditEventsLoaded: audited[0].count,
      auditSeedSeconds: Math.round(auditSeedSeconds),
      auditByCauseP50Ms: byCause.latency.p50,
      auditByCauseP99Ms: byCause.latency.p99,
    };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  runReadPathsBench()
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
