import type { AuditAction, AuditCauseType, AuditEntityType } from './audit-event';

/**
 * System events made from the rows of another statement, for a caller that changes thousands of
 * rows in one statement (a ban's chunk): instead of reading every changed row back and sending
 * an event for each over the wire, it writes them in the same statement, as a data-modifying
 * CTE: `WITH audited AS (${systemEventsInsertSql(...)})`. Each row of `from` becomes one event,
 * written as `AuditService.record` would write it with `systemOrigin(cause)`.
 *
 * `entityId`, `causeId` and `changes` are SQL expressions over the rows of `from` (e.g.
 * `c.id::text`, `$3::uuid`). The rule on personal data holds here as in
 * `record`: `changes` must never name a guest.
 */
export interface SystemEventsFromRows {
  /** The rows, as a FROM item: a CTE of the caller's statement with its alias. */
  from: string;
  action: AuditAction;
  entityType: AuditEntityType;
  entityId: string;
  causeType: AuditCauseType;
  causeId: string | null;
  changes: string;
}

export function systemEventsInsertSql(events: SystemEventsFromRows): string {
  return `INSERT INTO audit_events (action, entity_type, entity_id, actor_type, cause_type, cause_id, changes)
     SELECT ${word(events.action)}, ${word(events.entityType)}, ${events.entityId}, 'system', ${word(events.causeType)},
            ${events.causeId ?? 'NULL'}, ${events.changes}
       FROM ${events.from}`;
}

/** A constant of the audit vocabulary as a SQL literal. Only plain words reach here (they are typed), but a quote never could. */
function word(value: string): string {
  if (!/^[a-zA-Z_.]+$/.test(value)) throw new Error(`not an audit vocabulary word: ${value}`);
  return `'${value}'`;
}
