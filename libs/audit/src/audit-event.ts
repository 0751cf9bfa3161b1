import { Narrowed, RowOf, selectList } from '#libs/database';

/**
 * The audit trail's vocabulary (PRODUCT.md "Audit trail"): who did it (`actor`), why (`cause`),
 * and what changed (`changes`, each field `{from, to}`). Guests' personal data never goes into
 * an event: a booking's guests appear only as `guestCount` and `nationalities`.
 */
export const AUDIT_ACTIONS = [
  'booking.created',
  'booking.confirmed',
  'booking.amended',
  'booking.flights_replaced',
  'booking.flight_removed',
  'booking.guests_removed',
  'booking.kept',
  'booking.cancelled',
  'booking.anonymised',
  'capacity.set',
  'restriction.created',
  'restriction.enforcement_started',
  'restriction.enforcement_completed',
  'restriction.lifted',
  'route.created',
  'route.suspended',
  'flight.created',
  'flight.updated',
  'flight.cancelled',
  'agency.created',
  'agency.updated',
  'agency.webhook_secret_rotated',
  'api_key.created',
  'api_key.revoked',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_ENTITY_TYPES = ['booking', 'night', 'restriction', 'route', 'flight', 'agency', 'api_key'] as const;
export type AuditEntityType = (typeof AUDIT_ENTITY_TYPES)[number];

export const AUDIT_CAUSE_TYPES = [
  'request',
  'restriction',
  'hold_expiry',
  'party_decision_deadline',
  'flight_cancellation',
  'route_suspension',
  'retention',
  // The service's own configuration, applied at startup (the key of BOOTSTRAP_OPERATIONS_KEY).
  'configuration',
] as const;
export type AuditCauseType = (typeof AUDIT_CAUSE_TYPES)[number];

export type AuditActor = { type: 'api_key'; keyId: string; role: string; agencyId: string | null } | { type: 'system' };

export interface AuditCause {
  type: AuditCauseType;
  /** The restriction, flight or route suspension that caused a system change. */
  id?: string;
}

/**
 * Who and why, for every event a unit of work writes: an API request (its key, `{type: "request"}`
 * and the HTTP request id) or a job (`{type: "system"}`, the cause, no request id).
 */
export interface AuditOrigin {
  actor: AuditActor;
  cause: AuditCause;
  requestId: string | null;
}

export interface FieldChange {
  from: unknown;
  to: unknown;
}
export type AuditChanges = Record<string, FieldChange>;

/** One event to write; `origin` may differ from event to event (an admission batch holds many requests). */
export interface NewAuditEvent {
  action: AuditAction;
  entityType: AuditEntityType;
  entityId: string;
  origin: AuditOrigin;
  changes: AuditChanges;
}

/** The columns of `audit_events` a stored event is read with, as `FROM audit_events e`. */
export const AUDIT_EVENT_SELECT = selectList('audit_events', 'e', [
  'id',
  'at',
  'action',
  'entity_type',
  'entity_id',
  'actor_type',
  'actor_key_id',
  'actor_role',
  'actor_agency_id',
  'cause_type',
  'cause_id',
  'changes',
  'request_id',
]);

/** A stored event as the repository reads it. */
export type AuditEventRow = Narrowed<
  RowOf<typeof AUDIT_EVENT_SELECT>,
  { action: AuditAction; entityType: AuditEntityType; actorType: AuditActor['type']; causeType: AuditCauseType; changes: AuditChanges }
> & {
  /** `at` to the microsecond, for the next page's cursor. */
  cursorAt: string;
};

/** A job's origin: the system, for `cause`. */
export function systemOrigin(cause: AuditCause): AuditOrigin {
  return { actor: { type: 'system' }, cause, requestId: null };
}

/** An API request's origin: the caller's key, cause `request`. */
export function requestOrigin(principal: { keyId: string; role: string; agencyId: string | null }, requestId: string | null): AuditOrigin {
  return {
    actor: { type: 'api_key', keyId: principal.keyId, role: principal.role, agencyId: principal.agencyId },
    cause: { type: 'request' },
    requestId,
  };
}

/** The same origin with another cause (a route suspension's flights are cancelled by the request, because of the suspension). */
export function withCause(origin: AuditOrigin, cause: AuditCause): AuditOrigin {
  return { ...origin, cause };
}

/**
 * The fields of `before` and `after` (among `fields`) whose values differ, as `{from, to}`.
 * Values are compared as JSON (dates as ISO strings). `before` undefined: a creation, every
 * non-null field of `after` changes from null.
 */
export function changesBetween<T extends object>(before: T | undefined, after: T, fields: (keyof T & string)[]): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of fields) {
    const from = before === undefined ? null : normalised(before[field]);
    const to = normalised(after[field]);
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

function normalised(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}
