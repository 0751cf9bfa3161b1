import type { Pool } from 'pg';

/**
 * A checksum of every row of every application table (found from the catalogue, so new
 * tables are covered without editing this). Two equal snapshots mean nothing was written.
 */
export async function snapshotTables(pool: Pool): Promise<Record<string, { rows: number; checksum: string }>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
      ORDER BY table_name`,
  );
  const snapshot: Record<string, { rows: number; checksum: string }> = {};
  for (const { name } of tables) {
    const { rows } = await pool.query<{ rows: number; checksum: string | null }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS checksum FROM "${name}" t`,
    );
    snapshot[name] = { rows: rows[0].rows, checksum: rows[0].checksum ?? '' };
  }
  return snapshot;
}

/**
 * Rows where an invariant is broken (should always be empty): nights and flight seats within
 * their capacity and equal to the guests of the live bookings, no request half-written, one
 * notification per cancellation.
 */
export async function brokenInvariants(pool: Pool): Promise<string[]> {
  const problems: string[] = [];
  const nights = await pool.query(
    `SELECT date::text, capacity, reserved, held FROM nights WHERE reserved > capacity OR held > reserved OR held < 0`,
  );
  for (const row of nights.rows) problems.push(`night ${JSON.stringify(row)}`);
  // Every night's `reserved` is exactly the guests of the live bookings staying that night.
  const drift = await pool.query(
    `WITH live AS (
       SELECT night::date AS date, sum(b.guest_count)::int AS guests,
              sum(CASE WHEN b.status = 'held' THEN b.guest_count ELSE 0 END)::int AS held
         FROM bookings b, generate_series(b.check_in, b.check_out - 1, interval '1 day') AS night
        WHERE b.status IN ('held', 'confirmed')
        GROUP BY night)
     SELECT coalesce(n.date, live.date)::text AS date, coalesce(n.reserved, 0) AS reserved, coalesce(live.guests, 0) AS "liveGuests",
            coalesce(n.held, 0) AS held, coalesce(live.held, 0) AS "liveHeld"
       FROM nights n FULL JOIN live ON live.date = n.date
      WHERE coalesce(n.reserved, 0) <> coalesce(live.guests, 0) OR coalesce(n.held, 0) <> coalesce(live.held, 0)`,
  );
  for (const row of drift.rows) problems.push(`night totals differ from live bookings ${JSON.stringify(row)}`);
  // Every flight's `seats_reserved` is exactly the guests of the live bookings on it, either way, within its seats.
  const seats = await pool.query(
    `WITH live AS (
       SELECT flight_id, sum(guest_count)::int AS guests
         FROM (SELECT outbound_flight_id AS flight_id, guest_count FROM bookings WHERE status IN ('held', 'confirmed') AND outbound_flight_id IS NOT NULL
               UNION ALL
               SELECT return_flight_id, guest_count FROM bookings WHERE status IN ('held', 'confirmed') AND return_flight_id IS NOT NULL) AS segments
        GROUP BY flight_id)
     SELECT f.id, f.flight_number AS "flightNumber", f.seats, f.seats_reserved AS "seatsReserved", coalesce(live.guests, 0) AS "liveGuests"
       FROM flights f LEFT JOIN live ON live.flight_id = f.id
      WHERE f.seats_reserved <> coalesce(live.guests, 0) OR f.seats_reserved > f.seats`,
  );
  for (const row of seats.rows) problems.push(`flight seats differ from live bookings ${JSON.stringify(row)}`);
  // An Idempotency-Key is claimed and answered in one transaction: a committed claim without its answer is a half-written request.
  const unanswered = await pool.query(`SELECT agency_id AS "agencyId", key FROM idempotency_keys WHERE response_status IS NULL`);
  for (const row of unanswered.rows) problems.push(`idempotency key claimed but never answered ${JSON.stringify(row)}`);
  // One notification per cancellation the agency did not ask for (its own cancellations are not notified), none for a live booking.
  const notified = await pool.query(
    `WITH sent AS (
       SELECT (data->>'bookingId')::uuid AS booking_id, count(*)::int AS notifications
         FROM notifications WHERE type IN ('booking.cancelled', 'booking.hold_expired') GROUP BY 1)
     SELECT b.id, b.status, b.cancellation_reason AS reason, coalesce(sent.notifications, 0) AS notifications
       FROM bookings b LEFT JOIN sent ON sent.booking_id = b.id
      WHERE coalesce(sent.notifications, 0) <> CASE WHEN b.status = 'cancelled' AND b.cancellation_reason <> 'agent_request' THEN 1 ELSE 0 END
     UNION ALL
     SELECT sent.booking_id, NULL, NULL, sent.notifications FROM sent WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = sent.booking_id)`,
  );
  for (const row of notified.rows) problems.push(`cancellation notifications differ from cancellations ${JSON.stringify(row)}`);
  return problems;
}
