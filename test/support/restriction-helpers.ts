import { Pool, PoolClient } from 'pg';
import { ENFORCEMENT_CHUNK_SIZE, ENFORCEMENT_LANES } from '#libs/enforcement';
import { waitFor } from '../../scripts/harness';
import { KalmaClient } from './kalma-client';

/** Polls a restriction until `done` holds for it (or fails after `timeoutMs`). */
export async function waitForRestriction(
  client: KalmaClient,
  id: string,
  done: (restriction: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  const response = await waitFor(
    () => client.get(`/v1/restrictions/${id}`),
    (answer) => answer.status === 200 && done(answer.body),
    {
      timeoutMs,
      onTimeout: (last) =>
        new Error(`restriction ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last.body)}`),
    },
  );
  return response.body;
}

export const enforcementCompleted = (restriction: any): boolean => restriction.enforcement?.state === 'completed';

/** Where the upper lane of enforcement starts: the lower lane has the ids below it. */
export const UPPER_LANE_FROM = ENFORCEMENT_LANES[1].from;

/**
 * Opens a transaction on `blocker` that locks one seeded booking of the lower lane, in its
 * second chunk (id order: the seeded bookings share one check-in, so this is the order enforcement
 * takes them in): that lane then waits there, with its first chunk committed, until the caller rolls back.
 */
export async function blockLowerLaneSecondChunk(blocker: PoolClient, referencePrefix: string): Promise<void> {
  await blocker.query('BEGIN');
  // (Found first, then locked alone: FOR UPDATE with OFFSET would lock every row skipped too.)
  const { rows: middle } = await blocker.query(
    `SELECT id FROM bookings WHERE reference LIKE $1 AND id < $2 ORDER BY id OFFSET ${Math.floor(ENFORCEMENT_CHUNK_SIZE * 1.5)} LIMIT 1`,
    [`${referencePrefix}-%`, UPPER_LANE_FROM],
  );
  await blocker.query(`SELECT id FROM bookings WHERE id = $1 FOR UPDATE`, [middle[0].id]);
}

/**
 * Inserts `count` confirmed bookings straight into the tables (much faster than HTTP), keeping
 * the nights' counters equal to the live guests, as the API would have.
 */
export async function seedBookings(
  pool: Pool,
  options: { agencyId: string; checkIn: string; checkOut: string; nationalities: string[]; count: number; referencePrefix: string },
): Promise<void> {
  const guests = options.nationalities.map((nationality, index) => ({ fullName: `Seeded Guest ${index}`, nationality }));
  const distinct = [...new Set(options.nationalities)].sort();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities)
       SELECT $1 || '-' || n, $2, 'confirmed', $3, $4, $5::jsonb, jsonb_array_length($5::jsonb), $6::text[]
         FROM generate_series(1, $7::int) AS n`,
      [options.referencePrefix, options.agencyId, options.checkIn, options.checkOut, JSON.stringify(guests), distinct, options.count],
    );
    await client.query(
      `INSERT INTO nights (date, capacity, reserved)
       SELECT night::date, 20000, $3::int FROM generate_series($1::date, $2::date - 1, interval '1 day') AS night
       ON CONFLICT (date) DO UPDATE SET reserved = nights.reserved + excluded.reserved`,
      [options.checkIn, options.checkOut, options.count * guests.length],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Nights whose `reserved` differs from the guests of the live bookings on them (should be none). */
export async function nightsOutOfBalance(pool: Pool): Promise<unknown[]> {
  const { rows } = await pool.query(`
    WITH live AS (
      SELECT night::date AS date, sum(guest_count)::int AS guests
        FROM bookings, generate_series(check_in, check_out - 1, interval '1 day') AS night
       WHERE status IN ('held', 'confirmed') GROUP BY 1)
    SELECT to_char(COALESCE(n.date, l.date), 'YYYY-MM-DD') AS date, n.reserved, l.guests
      FROM nights n FULL JOIN live l ON l.date = n.date
     WHERE COALESCE(n.reserved, 0) <> COALESCE(l.guests, 0)`);
  return rows;
}

/** An instant `seconds` from now, written with the resort's offset (+09:00) as a client would. */
export function instantFromNow(seconds: number): string {
  const shifted = new Date(Date.now() + seconds * 1000 + 9 * 3600_000);
  return `${shifted.toISOString().slice(0, 23)}+09:00`;
}

/**
 * Waits until a worker is up and enforcing: applies a restriction covering nobody (AQ,
 * Antarctica), waits for its enforcement to complete, and lifts it.
 */
export async function waitForEnforcingWorker(operations: KalmaClient): Promise<void> {
  const created = await operations.post('/v1/restrictions', {
    nationalities: ['AQ'],
    effectiveFrom: new Date().toISOString(),
    reason: 'worker warm-up',
  });
  if (created.status !== 201) throw new Error(`warm-up restriction: ${created.status} ${JSON.stringify(created.body)}`);
  await waitForRestriction(operations, created.body.id, enforcementCompleted, 60_000);
  await operations.post(`/v1/restrictions/${created.body.id}/lift`);
}
