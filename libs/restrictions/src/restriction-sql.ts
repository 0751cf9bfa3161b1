import type { Coverage, RestrictionWindow } from './restriction-rules';

/**
 * The rule of `restriction-rules.ts` as SQL: "a live booking with a covered guest whose
 * check-in is in the window". Shared by the preview (this lib) and enforcement (which locks
 * the same rows), so both always agree on what a restriction affects.
 *
 * Two shapes of SQL rather than one with a CASE on a parameter: each can use its index
 * (`nationalities && list` the GIN index; all-foreigners the check-in index) under a generic plan.
 */
export interface RestrictionTarget {
  coverage: Coverage;
  window: RestrictionWindow;
}

/**
 * A WHERE condition on bookings aliased `alias`, with its parameters numbered from
 * `firstParameter`, and the parameter values in order.
 */
export function affectedBookingsCondition(
  target: RestrictionTarget,
  alias: string,
  firstParameter: number,
): { sql: string; parameters: unknown[] } {
  const [from, to, codes] = [firstParameter, firstParameter + 1, firstParameter + 2].map((index) => `$${index}`);
  const nationalityCondition = target.coverage.allForeign
    ? // Someone in the party is neither from the home country nor an exception.
      `NOT (${alias}.nationalities <@ ${codes}::text[])`
    : `${alias}.nationalities && ${codes}::text[]`;
  return {
    sql: `${alias}.status IN ('held', 'confirmed')
      AND ${alias}.check_in >= ${from}::date AND (${to}::date IS NULL OR ${alias}.check_in < ${to}::date)
      AND ${nationalityCondition}`,
    parameters: [target.window.from, target.window.to, nationalityCodes(target.coverage)],
  };
}

/**
 * The number of covered guests of booking `alias`. For a party whose nationalities are all
 * covered it is the guest count; only mixed parties have their guests (JSON) looked into,
 * with a JSON path (`coveredGuestsPath`, parameter `pathParameter`): a plain function call,
 * which Postgres can run in parallel workers, unlike a correlated subquery.
 */
export function coveredGuestsExpression(coverage: Coverage, alias: string, codesParameter: number, pathParameter: number): string {
  const everyoneCovered = coverage.allForeign
    ? `NOT (${alias}.nationalities && $${codesParameter}::text[])`
    : `${alias}.nationalities <@ $${codesParameter}::text[]`;
  return `CASE WHEN ${everyoneCovered} THEN ${alias}.guest_count
    ELSE jsonb_array_length(jsonb_path_query_array(${alias}.guests, $${pathParameter}::jsonpath)) END`;
}

/** The JSON path selecting the covered guests of a `guests` array. */
export function coveredGuestsPath(coverage: Coverage): string {
  const codes = nationalityCodes(coverage);
  for (const code of codes) {
    // Validated upstream; checked again because the codes are written into the path.
    if (!/^[A-Z]{2}$/.test(code)) throw new RangeError(`not a nationality code: ${JSON.stringify(code)}`);
  }
  const anyOf = codes.map((code) => `@.nationality == "${code}"`).join(' || ');
  return coverage.allForeign ? `$[*] ? (!(${anyOf}))` : `$[*] ? (${anyOf})`;
}

/** The codes the SQL compares with: the covered list, or for all-foreigners the ones spared. */
export function nationalityCodes(coverage: Coverage): string[] {
  return coverage.allForeign ? [...new Set([coverage.homeCountry, ...coverage.except])].sort() : [...coverage.nationalities].sort();
}
