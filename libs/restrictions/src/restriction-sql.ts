import { ADULT_AGE, type Coverage, type RestrictionWindow } from './restriction-rules';

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
  const condition = affectedPartiesCondition(target, alias, firstParameter);
  return {
    sql: `${alias}.status IN ('held', 'confirmed')
      AND ${condition.sql}`,
    parameters: condition.parameters,
  };
}

/**
 * The same condition on rows that are live by construction and have the bookings' `check_in`
 * and `nationalities` columns: `live_party_counts` (the preview), aliased `alias`.
 */
export function affectedPartiesCondition(
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
    sql: `${alias}.check_in >= ${from}::date AND (${to}::date IS NULL OR ${alias}.check_in < ${to}::date)
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
  return `CASE WHEN ${everyoneCoveredCondition(coverage, alias, codesParameter)} THEN ${alias}.guest_count
    ELSE jsonb_array_length(jsonb_path_query_array(${alias}.guests, $${pathParameter}::jsonpath)) END`;
}

/** The JSON path selecting the covered guests of a `guests` array. */
export function coveredGuestsPath(coverage: Coverage): string {
  return `$[*] ? (${coveredGuestFilter(coverage)})`;
}

/** The JSON path selecting the guests a restriction does not cover: those a reduced booking keeps. */
export function keptGuestsPath(coverage: Coverage): string {
  return `$[*] ? (!(${coveredGuestFilter(coverage)}))`;
}

/**
 * The JSON path selecting the guests not covered who are adults on the check-in date, given as
 * the variable `$adultBornBy` (the latest date of birth of an adult; see `isAdultOn`). Dates of
 * birth are `YYYY-MM-DD` strings, which compare as dates do; a guest without one is an adult.
 */
export function keptAdultsPath(coverage: Coverage): string {
  return `$[*] ? (!(${coveredGuestFilter(coverage)}) && (!exists(@.dateOfBirth) || @.dateOfBirth == null || @.dateOfBirth <= $adultBornBy))`;
}

/**
 * `keptAdultsPath` over a party composition of `live_party_counts` (`[{nationality, adult}]`,
 * `adult` decided by its trigger with the rule of `keptAdultsPath`): the adults not covered.
 */
export function keptAdultsOfPartyPath(coverage: Coverage): string {
  return `$[*] ? (!(${coveredGuestFilter(coverage)}) && @.adult == true)`;
}

/**
 * `partyOutcome` (restriction-rules.ts) in SQL, for an affected booking `alias` whose agency's
 * policy is the SQL `policy`: 'cancel' or 'reduce'. `$codesParameter` holds the codes of the
 * condition, `$keptAdultsParameter` the path of `keptAdultsPath`. A CASE, so that a fully
 * covered party (most of a ban's bookings) and a cancel_booking agency never look into the JSON.
 */
export function partyOutcomeExpression(
  coverage: Coverage,
  alias: string,
  policy: string,
  codesParameter: number,
  keptAdultsParameter: number,
): string {
  return `CASE WHEN ${everyoneCoveredCondition(coverage, alias, codesParameter)} THEN 'cancel'
    WHEN ${policy} = 'cancel_booking' THEN 'cancel'
    WHEN jsonb_path_exists(${alias}.guests, $${keptAdultsParameter}::jsonpath,
                           jsonb_build_object('adultBornBy', to_char(${alias}.check_in - interval '${ADULT_AGE} years', 'YYYY-MM-DD'))) THEN 'reduce'
    ELSE 'cancel' END`;
}

/**
 * The same outcome for a party composition `alias` of `live_party_counts` (columns
 * `nationalities` and `party`), with `$keptAdultsParameter` the path of `keptAdultsOfPartyPath`.
 */
export function partyCompositionOutcomeExpression(
  coverage: Coverage,
  alias: string,
  policy: string,
  codesParameter: number,
  keptAdultsParameter: number,
): string {
  return `CASE WHEN ${everyoneCoveredCondition(coverage, alias, codesParameter)} THEN 'cancel'
    WHEN ${policy} = 'cancel_booking' THEN 'cancel'
    WHEN jsonb_path_exists(${alias}.party, $${keptAdultsParameter}::jsonpath) THEN 'reduce'
    ELSE 'cancel' END`;
}

/**
 * The covered guests of `bookings` bookings of party composition `alias` with `guests` guests in
 * all (SQL expressions), as `coveredGuestsExpression` counts them: all of them when every
 * nationality is covered, else per booking those of `party` the path `$pathParameter`
 * (`coveredGuestsPath`) selects. (A mixed composition fixes the party, so its bookings are alike.)
 */
export function coveredGuestsOfPartiesExpression(
  coverage: Coverage,
  alias: string,
  bookings: string,
  guests: string,
  codesParameter: number,
  pathParameter: number,
): string {
  return `CASE WHEN ${everyoneCoveredCondition(coverage, alias, codesParameter)} THEN ${guests}
    ELSE ${bookings} * jsonb_array_length(jsonb_path_query_array(${alias}.party, $${pathParameter}::jsonpath)) END`;
}

/** Every nationality of booking `alias` is covered (so is every guest). */
function everyoneCoveredCondition(coverage: Coverage, alias: string, codesParameter: number): string {
  return coverage.allForeign
    ? `NOT (${alias}.nationalities && $${codesParameter}::text[])`
    : `${alias}.nationalities <@ $${codesParameter}::text[]`;
}

/** The jsonpath filter "this guest (`@`) is covered". */
function coveredGuestFilter(coverage: Coverage): string {
  const codes = nationalityCodes(coverage);
  for (const code of codes) {
    // Validated upstream; checked again because the codes are written into the path.
    if (!/^[A-Z]{2}$/.test(code)) throw new RangeError(`not a nationality code: ${JSON.stringify(code)}`);
  }
  const anyOf = codes.map((code) => `@.nationality == "${code}"`).join(' || ');
  return coverage.allForeign ? `!(${anyOf})` : anyOf;
}

/** The codes the SQL compares with: the covered list, or for all-foreigners the ones spared. */
export function nationalityCodes(coverage: Coverage): string[] {
  return coverage.allForeign ? [...new Set([coverage.homeCountry, ...coverage.except])].sort() : [...coverage.nationalities].sort();
}
