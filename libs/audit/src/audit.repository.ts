import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { cursorTimestampSql } from '#libs/shared';
import { AUDIT_EVENT_SELECT, AuditEventRow, NewAuditEvent } from './audit-event';

const COLUMNS = `${AUDIT_EVENT_SELECT.sql}, ${cursorTimestampSql('e.at')} AS "cursorAt"`;

export interface AuditEventFilter {
  entityType?: string;
  entityId?: string;
  action?: string;
  causeId?: string;
  actorKeyId?: string;
  /** Instants: `from` included, `to` excluded. */
  from?: Date;
  to?: Date;
}

/** SQL of the `audit_events` table (see the AuditEvents migration). */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes events in the caller's transaction, in one statement however many (an enforcement
   * chunk writes thousands): one array per column, unnested. `at` is the statement's clock per
   * row, so events written one after the other sort in that order.
   */
  async insertMany(manager: EntityManager, events: NewAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const column = <T>(read: (event: NewAuditEvent) => T): T[] => events.map(read);
    await manager.query(
      `INSERT INTO audit_events (action, entity_type, entity_id, actor_type, actor_key_id, actor_role, actor_agency_id, cause_type, cause_id, changes, request_id)
       SELECT e.action, e.entity_type, e.entity_id, e.actor_type, e.actor_key_id, e.actor_role, e.actor_agency_id, e.cause_type, e.cause_id, e.changes::jsonb, e.request_id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::uuid[], $8::text[], $9::uuid[], $10::text[], $11::text[])
           AS e(action, entity_type, entity_id, actor_type, actor_key_id, actor_role, actor_agency_id, cause_type, cause_id, changes, request_id)`,
      [
        column((event) => event.action),
        column((event) => event.entityType),
        column((event) => event.entityId),
        column((event) => event.origin.actor.type),
        column((event) => (event.origin.actor.type === 'api_key' ? event.origin.actor.keyId : null)),
        column((event) => (event.origin.actor.type === 'api_key' ? event.origin.actor.role : null)),
        column((event) => (event.origin.actor.type === 'api_key' ? event.origin.actor.agencyId : null)),
        column((event) => event.origin.cause.type),
        column((event) => event.origin.cause.id ?? null),
        column((event) => JSON.stringify(event.changes)),
        column((event) => event.origin.requestId),
      ],
    );
  }

  /** Removes the events of entities written earlier in this transaction and then undone (refused admission drafts). */
  async deleteForEntities(manager: EntityManager, entityType: string, entityIds: string[]): Promise<void> {
    if (entityIds.length === 0) return;
    await manager.query(`DELETE FROM audit_events WHERE entity_type = $1 AND entity_id = ANY($2::text[])`, [entityType, entityIds]);
  }

  /**
   * Newest first, keyset-paginated on (at, id). Every filter is optional; each has an index
   * leading with its column and ending in (at, id), so a page reads only its rows.
   */
  async list(filter: AuditEventFilter, limit: number, before?: { at: string; id: string }): Promise<AuditEventRow[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_events e
        WHERE ($1::text IS NULL OR e.entity_type = $1)
          AND ($2::text IS NULL OR e.entity_id = $2)
          AND ($3::text IS NULL OR e.action = $3)
          AND ($4::uuid IS NULL OR e.cause_id = $4)
          AND ($5::uuid IS NULL OR e.actor_key_id = $5)
          AND ($6::timestamptz IS NULL OR e.at >= $6)
          AND ($7::timestamptz IS NULL OR e.at < $7)
          AND ($8::timestamptz IS NULL OR (e.at, e.id) < ($8::timestamptz, $9::uuid))
        ORDER BY e.at DESC, e.id DESC
        LIMIT $10`,
      [
        filter.entityType ?? null,
        filter.entityId ?? null,
        filter.action ?? null,
        filter.causeId ?? null,
        filter.actorKeyId ?? null,
        filter.from ?? null,
        filter.to ?? null,
        before?.at ?? null,
        before?.id ?? null,
        limit,
      ],
    );
  }

  /** Every event of one entity, oldest first. */
  async historyOf(entityType: string, entityId: string): Promise<AuditEventRow[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_events e WHERE e.entity_type = $1 AND e.entity_id = $2 ORDER BY e.at, e.id`,
      [entityType, entityId],
    );
  }
}
