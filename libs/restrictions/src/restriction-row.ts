import { Narrowed, RowOf, selectList } from '#libs/database';

export type EnforcementState = 'pending' | 'running' | 'completed';
export const ENFORCEMENT_STATES: EnforcementState[] = ['pending', 'running', 'completed'];

/**
 * A nationality restriction (ban) and the progress of its enforcement, as `FROM restrictions r`.
 * `nationalities` is null for an all-foreigners restriction; `homeCountry` is RESORT_HOME_COUNTRY
 * at creation; `reducedBookings` counts bookings whose covered guests were removed (the rest of
 * the party kept).
 */
export const RESTRICTION_SELECT = selectList('restrictions', 'r', [
  'id',
  'nationalities',
  'all_foreign',
  'except_nationalities',
  'home_country',
  'effective_from',
  'effective_until',
  'window_from',
  'window_to',
  'reason',
  'applied_by_key_id',
  'lifted_at',
  'lifted_by_key_id',
  'enforcement_state',
  'affected_bookings',
  'cancelled_bookings',
  'reduced_bookings',
  'enforcement_started_at',
  'enforcement_completed_at',
  'created_at',
  'updated_at',
]);

export type RestrictionRow = Narrowed<RowOf<typeof RESTRICTION_SELECT>, { enforcementState: EnforcementState }>;
