import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditOrigin, AuditService, changesBetween } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { decodeTimestampCursor, pageOf, NotFound, Page } from '#libs/shared';
import { AccessRepository, AgencyRow } from './access.repository';
import { PartyPolicy } from './party-policy';
import { generateWebhookSecret } from './api-key-secret';
import { assertAllowedWebhookUrl } from './webhook-url-policy';

/** The fields of an agency the audit trail records (never its webhook secret). */
const AUDITED_AGENCY_FIELDS: (keyof AgencyRow)[] = ['name', 'webhookUrl', 'partyPolicy'];

@Injectable()
export class AgenciesService {
  constructor(
    private readonly repository: AccessRepository,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(input: { name: string; webhookUrl?: string | null; partyPolicy?: PartyPolicy }, origin: AuditOrigin): Promise<AgencyRow> {
    if (input.webhookUrl) await assertAllowedWebhookUrl(input.webhookUrl, this.config.WEBHOOK_ALLOW_PRIVATE_URLS);
    return this.dataSource.transaction(async (manager) => {
      const agency = await this.repository.insertAgency(manager, {
        name: input.name,
        webhookUrl: input.webhookUrl ?? null,
        webhookSecret: generateWebhookSecret(),
        partyPolicy: input.partyPolicy ?? 'cancel_booking',
      });
      await this.audit.record(manager, [
        {
          action: 'agency.created',
          entityType: 'agency',
          entityId: agency.id,
          origin,
          changes: changesBetween(undefined, agency, AUDITED_AGENCY_FIELDS),
        },
      ]);
      return agency;
    });
  }

  async get(id: string): Promise<AgencyRow> {
    const agency = await this.repository.findAgency(id);
    if (!agency) throw new NotFound('Agency', id);
    return agency;
  }

  async list(limit: number, cursor?: string): Promise<Page<AgencyRow>> {
    const after = cursor ? decodeTimestampCursor('agencies', cursor, 'createdAt') : undefined;
    const rows = await this.repository.listAgencies(limit + 1, after);
    return pageOf(rows, limit, 'agencies', (row) => ({ createdAt: row.cursorCreatedAt, id: row.id }));
  }

  async update(
    id: string,
    changes: { name?: string; webhookUrl?: string | null; partyPolicy?: PartyPolicy },
    origin: AuditOrigin,
  ): Promise<AgencyRow> {
    if (changes.webhookUrl) await assertAllowedWebhookUrl(changes.webhookUrl, this.config.WEBHOOK_ALLOW_PRIVATE_URLS);
    return this.dataSource.transaction(async (manager) => {
      const before = await this.repository.lockAgency(manager, id);
      if (!before) throw new NotFound('Agency', id);
      const agency = (await this.repository.updateAgency(manager, id, changes)) as AgencyRow;
      const changed = changesBetween(before, agency, AUDITED_AGENCY_FIELDS);
      if (Object.keys(changed).length > 0) {
        await this.audit.record(manager, [{ action: 'agency.updated', entityType: 'agency', entityId: id, origin, changes: changed }]);
      }
      return agency;
    });
  }

  /** The new secret is never recorded, nor the old one: the event says only that it was rotated. */
  async rotateWebhookSecret(id: string, origin: AuditOrigin): Promise<AgencyRow> {
    return this.dataSource.transaction(async (manager) => {
      const agency = await this.repository.updateAgency(manager, id, { webhookSecret: generateWebhookSecret() });
      if (!agency) throw new NotFound('Agency', id);
      await this.audit.record(manager, [
        { action: 'agency.webhook_secret_rotated', entityType: 'agency', entityId: id, origin, changes: {} },
      ]);
      return agency;
    });
  }
}
