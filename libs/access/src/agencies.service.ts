import { Injectable } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { decodeTimestampCursor, encodeCursor, NotFound, Page } from '#libs/shared';
import { AccessRepository, AgencyRow } from './access.repository';
import { PartyPolicy } from './agency.entity';
import { generateWebhookSecret } from './api-key-secret';
import { assertAllowedWebhookUrl } from './webhook-url-policy';

@Injectable()
export class AgenciesService {
  constructor(
    private readonly repository: AccessRepository,
    private readonly config: AppConfig,
  ) {}

  async create(input: { name: string; webhookUrl?: string | null; partyPolicy?: PartyPolicy }): Promise<AgencyRow> {
    if (input.webhookUrl) await assertAllowedWebhookUrl(input.webhookUrl, this.config.WEBHOOK_ALLOW_PRIVATE_URLS);
    return this.repository.insertAgency({
      name: input.name,
      webhookUrl: input.webhookUrl ?? null,
      webhookSecret: generateWebhookSecret(),
      partyPolicy: input.partyPolicy ?? 'cancel_booking',
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
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: rows.length > limit && last ? encodeCursor('agencies', { createdAt: last.cursorCreatedAt, id: last.id }) : null,
    };
  }

  async update(id: string, changes: { name?: string; webhookUrl?: string | null; partyPolicy?: PartyPolicy }): Promise<AgencyRow> {
    if (changes.webhookUrl) await assertAllowedWebhookUrl(changes.webhookUrl, this.config.WEBHOOK_ALLOW_PRIVATE_URLS);
    const agency = await this.repository.updateAgency(id, changes);
    if (!agency) throw new NotFound('Agency', id);
    return agency;
  }

  async rotateWebhookSecret(id: string): Promise<AgencyRow> {
    const agency = await this.repository.updateAgency(id, { webhookSecret: generateWebhookSecret() });
    if (!agency) throw new NotFound('Agency', id);
    return agency;
  }
}
