import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '#libs/database';
import {
  affectedBookingsCondition,
  Coverage,
  coveredGuestsExpression,
  coveredGuestsPath,
  keptAdultsPath,
  partyOutcomeExpression,
  RestrictionTarget,
} from '#libs/restrictions';
import { RestrictionsRepository } from '../libs/restrictions/src/restrictions.repository';
import { createTestDatabase, TestDatabase } from './support/test-database';

/**
 * The ban preview reads `live_party_counts`, kept by triggers on bookings and folded by a sweep,
 * instead of the bookings themselves. Whatever happens to the bookings (admission batches, drafts
 * deleted, confirmations, cancellations, guests removed or erased, check-in moved, a party turned
 * mixed or single), and wherever the folds fall, the preview must equal, per agency, what the
 * per-booking rule enforcement locks its bookings with (`partyOutcomeExpression`) counts on the
 * bookings at that moment.
 */
describe('the preview counts (live_party_counts)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let repository: RestrictionsRepository;
  let agencyIds: string[];

  const checkIns = ['2031-03-01', '2031-03-02', '2031-03-03'];
  const pool = ['RU', 'GB', 'KP', 'CN'];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, poolSize: 4, applicationName: 'party-counts-test' }),
    ).initialize();
    repository = new RestrictionsRepository(dataSource);
    const { rows } = await database.pool.query<{ id: string }>(
      `INSERT INTO agencies (name, webhook_secret, party_policy)
       VALUES ('Cancel', 'whsec_test', 'cancel_booking'), ('Remove', 'whsec_test', 'remove_covered_guests'), ('Ask', 'whsec_test', 'ask')
       RETURNING id`,
    );
    agencyIds = rows.map((row) => row.id);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.close();
  });

  /** The preview's figures straight from the bookings, with the per-booking rule (the query the preview used before). */
  async function impactFromBookings(target: RestrictionTarget): Promise<unknown[]> {
    const condition = affectedBookingsCondition(target, 'b', 1);
    const { rows } = await database.pool.query(
      `SELECT affected."agencyId", count(*)::int AS "affectedBookings", sum(affected.guests)::int AS "affectedGuests",
              count(*) FILTER (WHERE affected.outcome = 'cancel')::int AS "bookingsToCancel",
              count(*) FILTER (WHERE affected.outcome = 'reduce')::int AS "bookingsToReduce",
              COALESCE(sum(affected.covered) FILTER (WHERE affected.outcome = 'reduce'), 0)::int AS "guestsToRemove",
              sum(affected.covered)::int AS "coveredGuests"
         FROM (SELECT b.agency_id AS "agencyId", b.guest_count AS guests,
                      ${coveredGuestsExpression(target.coverage, 'b', 3, 4)} AS covered,
                      ${partyOutcomeExpression(target.coverage, 'b', 'a.party_policy', 3, 5)} AS outcome
                 FROM bookings b JOIN agencies a ON a.id = b.agency_id
                WHERE ${condition.sql}) affected
        GROUP BY affected."agencyId"
        ORDER BY "affectedBookings" DESC, affected."agencyId"`,
      [...condition.parameters, coveredGuestsPath(target.coverage), keptAdultsPath(target.coverage)],
    );
    return rows;
  }

  const ages = ['none', 'null', 'adult', 'child', 'exactly18', 'almost18'] as const;
  type Age = (typeof ages)[number];
  const guestArbitrary = fc.record({ nationality: fc.constantFrom(...pool), age: fc.constantFrom(...ages) });
  const partyArbitrary = fc.array(guestArbitrary, { minLength: 1, maxLength: 4 });

  /** A guest as stored: dates of birth around the 18th birthday on `checkIn`, or none, or a JSON null. */
  function storedGuest(guest: { nationality: string; age: Age }, index: number, checkIn: string): Record<string, unknown> {
    const year = Number(checkIn.slice(0, 4));
    const eighteenth = `${year - 18}${checkIn.slice(4)}`;
    const dateOfBirth = {
      none: undefined,
      null: null,
      adult: '1970-01-01',
      child: `${year - 6}${checkIn.slice(4)}`,
      exactly18: eighteenth,
      almost18: new Date(Date.parse(`${eighteenth}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10),
    }[guest.age];
    return dateOfBirth === undefined
      ? { fullName: `Guest ${index}`, nationality: guest.nationality }
      : { fullName: `Guest ${index}`, nationality: guest.nationality, dateOfBirth };
  }

  /** A change to the bookings, as one statement (or transaction) of the kinds the services run. */
  const operationArbitrary = fc.oneof(
    fc.record({
      kind: fc.constant('admit' as const),
      bookings: fc.array(fc.record({ agency: fc.nat(2), checkIn: fc.nat(2), held: fc.boolean(), party: partyArbitrary }), {
        minLength: 1,
        maxLength: 6,
      }),
      dropDrafts: fc.nat(2),
    }),
    fc.record({
      kind: fc.constantFrom('confirm' as const, 'cancel' as const, 'delete' as const, 'erase' as const, 'move' as const, 'fold' as const),
      pick: fc.nat(1000),
    }),
    fc.record({ kind: fc.constant('regroup' as const), pick: fc.nat(1000), party: partyArbitrary }),
    fc.record({ kind: fc.constant('removeCovered' as const), pick: fc.nat(1000), nationality: fc.constantFrom(...pool) }),
  );

  type Operation = typeof operationArbitrary extends fc.Arbitrary<infer T> ? T : never;

  async function pickedIds(pick: number, count: number): Promise<string[]> {
    const { rows } = await database.pool.query<{ id: string }>(`SELECT id FROM bookings ORDER BY reference`);
    if (rows.length === 0) return [];
    return Array.from({ length: Math.min(count, rows.length) }, (_, offset) => rows[(pick + offset * 7) % rows.length].id);
  }

  let reference = 0;
  async function apply(operation: Operation): Promise<void> {
    switch (operation.kind) {
      case 'admit': {
        // One transaction like an admission batch: one INSERT statement, then some drafts refused and deleted.
        await dataSource.transaction(async (manager) => {
          const rows = operation.bookings.map((booking) => {
            const checkIn = checkIns[booking.checkIn];
            return {
              reference: `T${String(++reference).padStart(8, '0')}`,
              agencyId: agencyIds[booking.agency],
              status: booking.held ? 'held' : 'confirmed',
              checkIn,
              guests: booking.party.map((guest, index) => storedGuest(guest, index, checkIn)),
            };
          });
          const inserted: { id: string }[] = await manager.query(
            `INSERT INTO bookings (reference, agency_id, status, check_in, check_out, guests, guest_count, nationalities, hold_expires_at)
             SELECT n.reference, n."agencyId", n.status, n."checkIn", n."checkIn" + 2, n.guests, jsonb_array_length(n.guests),
                    ARRAY(SELECT DISTINCT g->>'nationality' FROM jsonb_array_elements(n.guests) g ORDER BY 1),
                    CASE WHEN n.status = 'held' THEN now() + interval '1 hour' END
               FROM jsonb_to_recordset($1::jsonb) AS n(reference text, "agencyId" uuid, status text, "checkIn" date, guests jsonb)
             RETURNING id`,
            [JSON.stringify(rows)],
          );
          const drafts = inserted.slice(0, Math.min(operation.dropDrafts, inserted.length - 1)).map((row) => row.id);
          if (drafts.length > 0) await manager.query(`DELETE FROM bookings WHERE id = ANY($1::uuid[])`, [drafts]);
        });
        return;
      }
      case 'confirm':
        await database.pool.query(
          `UPDATE bookings SET status = 'confirmed', hold_expires_at = NULL WHERE id = ANY($1::uuid[]) AND status = 'held'`,
          [await pickedIds(operation.pick, 3)],
        );
        return;
      case 'cancel':
        await database.pool.query(
          `UPDATE bookings SET status = 'cancelled', cancellation_reason = 'operations', cancelled_at = now() WHERE id = ANY($1::uuid[]) AND status <> 'cancelled'`,
          [await pickedIds(operation.pick, 4)],
        );
        return;
      case 'delete':
        await database.pool.query(`DELETE FROM bookings WHERE id = ANY($1::uuid[])`, [await pickedIds(operation.pick, 1)]);
        return;
      case 'erase':
        // As guest data retention does it (here also to live bookings, which it never erases, to change the parties' adults).
        await database.pool.query(
          `UPDATE bookings SET guests = (SELECT jsonb_agg(jsonb_build_object('fullName', NULL, 'nationality', g->'nationality')) FROM jsonb_array_elements(guests) g),
                  anonymised_at = now()
            WHERE id = ANY($1::uuid[])`,
          [await pickedIds(operation.pick, 2)],
        );
        return;
      case 'move':
        await database.pool.query(`UPDATE bookings SET check_in = check_in + 1, check_out = check_out + 1 WHERE id = ANY($1::uuid[])`, [
          await pickedIds(operation.pick, 2),
        ]);
        return;
      case 'regroup': {
        const [id] = await pickedIds(operation.pick, 1);
        if (!id) return;
        const { rows } = await database.pool.query<{ checkIn: string }>(
          `SELECT to_char(check_in, 'YYYY-MM-DD') AS "checkIn" FROM bookings WHERE id = $1`,
          [id],
        );
        const guests = operation.party.map((guest, index) => storedGuest(guest, index, rows[0].checkIn));
        await database.pool.query(
          `UPDATE bookings SET guests = $2::jsonb, guest_count = jsonb_array_length($2::jsonb),
                  nationalities = ARRAY(SELECT DISTINCT g->>'nationality' FROM jsonb_array_elements($2::jsonb) g ORDER BY 1)
            WHERE id = $1 AND anonymised_at IS NULL`,
          [id, JSON.stringify(guests)],
        );
        return;
      }
      case 'removeCovered':
        // As enforcement reduces a party: the guests of one nationality out, the others kept.
        await database.pool.query(
          `UPDATE bookings b SET guests = kept.guests, guest_count = jsonb_array_length(kept.guests),
                  nationalities = ARRAY(SELECT DISTINCT g->>'nationality' FROM jsonb_array_elements(kept.guests) g ORDER BY 1)
             FROM (SELECT id, (SELECT jsonb_agg(g) FROM jsonb_array_elements(guests) g WHERE g->>'nationality' <> $2) AS guests FROM bookings) kept
            WHERE b.id = kept.id AND b.id = ANY($1::uuid[]) AND kept.guests IS NOT NULL`,
          [await pickedIds(operation.pick, 3), operation.nationality],
        );
        return;
      case 'fold':
        await dataSource.transaction((manager) => repository.foldPartyCounts(manager));
        return;
    }
  }

  const coverageArbitrary: fc.Arbitrary<Coverage> = fc.oneof(
    fc.record({ allForeign: fc.constant(false as const), nationalities: fc.subarray(pool, { minLength: 1 }) }),
    fc.record({
      allForeign: fc.constant(true as const),
      homeCountry: fc.constant('KP'),
      except: fc.subarray(pool.filter((code) => code !== 'KP')),
    }),
  );
  const windowArbitrary = fc.constantFrom(
    { from: checkIns[0], to: null },
    { from: checkIns[1], to: null },
    { from: checkIns[0], to: checkIns[2] },
    { from: '2031-03-04', to: null },
  );

  it('property: after any sequence of booking changes and folds, the preview equals the per-booking count of every restriction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArbitrary, { minLength: 1, maxLength: 25 }),
        fc.array(fc.tuple(coverageArbitrary, windowArbitrary), { minLength: 1, maxLength: 4 }),
        async (operations, targets) => {
          try {
            for (const operation of operations) await apply(operation);
            for (const [coverage, window] of targets) {
              const target = { coverage, window };
              const expected = (await impactFromBookings(target)) as ({ agencyId: string; coveredGuests: number } & Record<
                string,
                number | string
              >)[];
              const impact = await repository.impact(target);
              expect(impact.byAgency).toEqual(expected.map(({ coveredGuests: _coveredGuests, ...agency }) => agency));
              expect(impact.coveredGuests).toBe(expected.reduce((sum, agency) => sum + agency.coveredGuests, 0));
            }
            // A fold changes no sum, and leaves one total per key (none of them zero).
            await dataSource.transaction((manager) => repository.foldPartyCounts(manager));
            const { rows } = await database.pool.query(
              `SELECT count(*) FILTER (WHERE NOT folded)::int AS changes, count(*) FILTER (WHERE folded AND bookings = 0)::int AS empty,
                    (SELECT count(*)::int FROM bookings WHERE status IN ('held', 'confirmed')) AS live, COALESCE(sum(bookings), 0)::int AS counted
               FROM live_party_counts`,
            );
            expect(rows[0]).toEqual({ changes: 0, empty: 0, live: rows[0].counted, counted: rows[0].live });
          } finally {
            await database.pool.query(`DELETE FROM bookings`);
            await dataSource.transaction((manager) => repository.foldPartyCounts(manager));
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);

  it('keeps counting across a TRUNCATE of bookings', async () => {
    await apply({
      kind: 'admit',
      bookings: [{ agency: 0, checkIn: 0, held: false, party: [{ nationality: 'GB', age: 'adult' }] }],
      dropDrafts: 0,
    });
    await database.pool.query(`TRUNCATE bookings CASCADE`);
    expect((await database.pool.query(`SELECT count(*)::int AS count FROM live_party_counts`)).rows[0].count).toBe(0);
    await apply({
      kind: 'admit',
      bookings: [
        {
          agency: 1,
          checkIn: 0,
          held: true,
          party: [
            { nationality: 'GB', age: 'adult' },
            { nationality: 'RU', age: 'child' },
          ],
        },
      ],
      dropDrafts: 0,
    });
    const impact = await repository.impact({
      coverage: { allForeign: false, nationalities: ['GB'] },
      window: { from: checkIns[0], to: null },
    });
    expect(impact).toMatchObject({ affectedBookings: 1, bookingsToCancel: 1, bookingsToReduce: 0, coveredGuests: 1 });
  });
});
