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

/** Rows where an invariant of the schema is broken (should always be empty). */
export async function brokenInvariants(pool: Pool): Promise<string[]> {
  const problems: string[] = [];
  const nights = await pool.query(`SELECT date::text, capacity, reserved, held FROM nights WHERE reserved > capacity OR held > reserved OR held < 0`);
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
  return problems;
}
