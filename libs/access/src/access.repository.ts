import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Narrowed, returnedRows, RowOf, selectList } from '#libs/database';
import { cursorTimestampSql } from '#libs/shared';
import type { PartyPolicy } from './party-policy';
import type { Principal, Role } from './principal';

const AGENCY_SELECT = selectList('agencies', null, [
  'id',
  'name',
  'webhook_url',
  'webhook_secret',
  'party_policy',
  'created_at',
  'updated_at',
]);
export type AgencyRow = Narrowed<RowOf<typeof AGENCY_SELECT>, { partyPolicy: PartyPolicy }>;

/** Every column but the key's hash. */
const API_KEY_COLUMNS = ['id', 'agency_id', 'role', 'label', 'key_prefix', 'created_at', 'revoked_at'] as const;
const API_KEY_SELECT = selectList('api_keys', null, API_KEY_COLUMNS);
/** The same, as `FROM api_keys k`. */
const QUALIFIED_API_KEY_SELECT = selectList('api_keys', 'k', API_KEY_COLUMNS);
export type ApiKeyRow = Narrowed<RowOf<typeof API_KEY_SELECT>, { role: Role }>;

/** Who an active key authenticates. */
const PRINCIPAL_SELECT = selectList('api_keys', null, ['id', 'role', 'agency_id'], { id: 'keyId' });
type PrincipalRow = Narrowed<RowOf<typeof PRINCIPAL_SELECT>, { role: Role }>;

/** SQL for agencies and API keys. */
@Injectable()
export class AccessRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertAgency(
    manager: EntityManager,
    agency: { name: string; webhookUrl: string | null; webhookSecret: string; partyPolicy: PartyPolicy },
  ): Promise<AgencyRow> {
    const rows: AgencyRow[] = await manager.query(
      `INSERT INTO agencies (name, webhook_url, webhook_secret, party_policy) VALUES ($1, $2, $3, $4) RETURNING ${AGENCY_SELECT.sql}`,
      [agency.name, agency.webhookUrl, agency.webhookSecret, agency.partyPolicy],
    );
    return rows[0];
  }

  async lockAgency(manager: EntityManager, id: string): Promise<AgencyRow | undefined> {
    const rows: AgencyRow[] = await manager.query(`SELECT ${AGENCY_SELECT.sql} FROM agencies WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  async findAgency(id: string): Promise<AgencyRow | undefined> {
    const rows: AgencyRow[] = await this.dataSource.query(`SELECT ${AGENCY_SELECT.sql} FROM agencies WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Oldest first, keyset-paginated on (created_at, id); `cursorCreatedAt` is created_at to the
   * microsecond, for the next cursor. Qualified columns, as in every list: a bare name in
   * ORDER BY would take an output column of that name first.
   */
  async listAgencies(limit: number, after?: { createdAt: string; id: string }): Promise<(AgencyRow & { cursorCreatedAt: string })[]> {
    return this.dataSource.query(
      `SELECT ${AGENCY_SELECT.sql}, ${cursorTimestampSql('a.created_at')} AS "cursorCreatedAt" FROM agencies a
        WHERE $2::timestamptz IS NULL OR (a.created_at, a.id) > ($2::timestamptz, $3::uuid)
        ORDER BY a.created_at, a.id LIMIT $1`,
      [limit, after?.createdAt ?? null, after?.id ?? null],
    );
  }

  async updateAgency(
    manager: EntityManager,
    id: string,
    changes: { name?: string; webhookUrl?: string | null; webhookSecret?: string; partyPolicy?: PartyPolicy },
  ): Promise<AgencyRow | undefined> {
    const result: [AgencyRow[], number] = await manager.query(
      `UPDATE agencies SET
         name = CASE WHEN $2::boolean THEN $3 ELSE name END,
         webhook_url = CASE WHEN $4::boolean THEN $5 ELSE webhook_url END,
         webhook_secret = COALESCE($6, webhook_secret),
         party_policy = COALESCE($7, party_policy),
         updated_at = now()
       WHERE id = $1 RETURNING ${AGENCY_SELECT.sql}`,
      [
        id,
        changes.name !== undefined,
        changes.name ?? null,
        changes.webhookUrl !== undefined,
        changes.webhookUrl ?? null,
        changes.webhookSecret ?? null,
        changes.partyPolicy ?? null,
      ],
    );
    return returnedRows(result)[0];
  }

  async insertApiKey(
    manager: EntityManager,
    key: {
      agencyId: string | null;
      role: Role;
      label: string | null;
      keyHash: Buffer;
      keyPrefix: string;
    },
  ): Promise<ApiKeyRow> {
    const rows: ApiKeyRow[] = await manager.query(
      `INSERT INTO api_keys (agency_id, role, label, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${API_KEY_SELECT.sql}`,
      [key.agencyId, key.role, key.label, key.keyHash, key.keyPrefix],
    );
    return rows[0];
  }

  /** Inserts the key unless one with that hash exists already (bootstrap runs at every start); its id when this call inserted it. */
  async ensureApiKey(
    manager: EntityManager,
    key: { role: Role; label: string; keyHash: Buffer; keyPrefix: string },
  ): Promise<string | undefined> {
    const rows: { id: string }[] = await manager.query(
      `INSERT INTO api_keys (agency_id, role, label, key_hash, key_prefix) VALUES (NULL, $1, $2, $3, $4)
       ON CONFLICT (key_hash) DO NOTHING
       RETURNING id`,
      [key.role, key.label, key.keyHash, key.keyPrefix],
    );
    return rows[0]?.id;
  }

  /** Revokes a key (a revoked one keeps its first revocation time); `wasRevoked` says whether it already was. */
  async revokeApiKey(manager: EntityManager, id: string): Promise<(ApiKeyRow & { wasRevoked: boolean }) | undefined> {
    const result: [(ApiKeyRow & { wasRevoked: boolean })[], number] = await manager.query(
      `UPDATE api_keys k SET revoked_at = COALESCE(k.revoked_at, now())
         FROM (SELECT id, revoked_at IS NOT NULL AS was_revoked FROM api_keys WHERE id = $1 FOR UPDATE) old
        WHERE k.id = old.id
        RETURNING ${QUALIFIED_API_KEY_SELECT.sql}, old.was_revoked AS "wasRevoked"`,
      [id],
    );
    return returnedRows(result)[0];
  }

  async findActivePrincipalByHash(keyHash: Buffer): Promise<Principal | undefined> {
    // Returned as a Principal (the guard's vocabulary): the compiler checks that what is read is one.
    const rows: PrincipalRow[] = await this.dataSource.query(
      `SELECT ${PRINCIPAL_SELECT.sql} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [keyHash],
    );
    return rows[0];
  }
}
