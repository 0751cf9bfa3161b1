import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditOrigin, AuditService, NewAuditEvent, systemOrigin } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { NotFound } from '#libs/shared';
import { AccessRepository, ApiKeyRow } from './access.repository';
import { generateApiKey, hashApiKey, keyPrefixOf } from './api-key-secret';
import type { Principal, Role } from './principal';
import { KeyRevocationChannel } from './key-revocation-channel';
import { PrincipalCache } from './principal-cache';

export interface IssuedApiKey extends ApiKeyRow {
  /** The key itself: returned once, never stored. */
  key: string;
}

@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly cache = new PrincipalCache((hash) => this.repository.findActivePrincipalByHash(hash), 2_000);

  constructor(
    private readonly repository: AccessRepository,
    private readonly config: AppConfig,
    private readonly revocationChannel: KeyRevocationChannel,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * `BOOTSTRAP_OPERATIONS_KEY`: make sure an operations key with that value exists. The process
   * that creates it (API processes start side by side; one insert wins) records `api_key.created`
   * by the system, cause `configuration`, in the same transaction; a restart records nothing.
   */
  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.BOOTSTRAP_OPERATIONS_KEY;
    if (!key) return;
    const label = 'bootstrap operations key';
    await this.dataSource.transaction(async (manager) => {
      const createdId = await this.repository.ensureApiKey(manager, {
        role: 'operations',
        label,
        keyHash: hashApiKey(key),
        keyPrefix: keyPrefixOf(key),
      });
      if (!createdId) return;
      await this.audit.record(manager, [
        keyCreatedEvent(createdId, { role: 'operations', agencyId: null, label }, systemOrigin({ type: 'configuration' })),
      ]);
    });
    // Not even its first characters: part of a key is a head start on guessing it, and logs travel far.
    this.logger.log('the bootstrap operations key is present');
  }

  /** The event records the key's role, agency and label: never the key, nor its hash or prefix. */
  async issue(agencyId: string, role: Role, label: string | null, origin: AuditOrigin): Promise<IssuedApiKey> {
    const key = generateApiKey(role);
    const row = await this.dataSource.transaction(async (manager) => {
      const inserted = await this.repository.insertApiKey(manager, {
        agencyId,
        role,
        label,
        keyHash: hashApiKey(key),
        keyPrefix: keyPrefixOf(key),
      });
      await this.audit.record(manager, [keyCreatedEvent(inserted.id, { role, agencyId, label }, origin)]);
      return inserted;
    });
    return { ...row, key };
  }

  /** Revoking a revoked key answers as the first time did and records nothing more. */
  async revoke(id: string, origin: AuditOrigin): Promise<ApiKeyRow> {
    const row = await this.dataSource.transaction(async (manager) => {
      const revoked = await this.repository.revokeApiKey(manager, id);
      if (revoked && !revoked.wasRevoked) {
        await this.audit.record(manager, [
          {
            action: 'api_key.revoked',
            entityType: 'api_key',
            entityId: id,
            origin,
            changes: { revokedAt: { from: null, to: new Date(revoked.revokedAt as Date).toISOString() } },
          },
        ]);
      }
      return revoked;
    });
    if (!row) throw new NotFound('API key', id);
    this.cache.forgetKey(id);
    // Before answering: "revoked" means refused by every API process within moments of this answer.
    await this.revocationChannel.publish(id);
    return row;
  }

  /**
   * API processes call this once: every revocation, wherever it is made, then drops the key
   * from this process's cache as its broadcast arrives; the cache's TTL covers what is missed.
   */
  followRevocations(): void {
    this.revocationChannel.listen({
      revoked: (keyId) => this.cache.forgetKey(keyId),
      resubscribed: () => this.cache.forgetAll(),
    });
  }

  /** The key's principal if this process has it cached: no I/O. */
  cachedPrincipal(key: string): Principal | undefined {
    return this.cache.get(hashApiKey(key).toString('hex'));
  }

  /** The key's principal, from the cache or read (one read at a time per key); undefined: unknown or revoked. */
  authenticate(key: string): Promise<Principal | undefined> {
    const hash = hashApiKey(key);
    return this.cache.principalOf(hash.toString('hex'), hash);
  }
}

/** `api_key.created`: the key's role, agency and label (those it has), never the key, its hash or prefix. */
function keyCreatedEvent(
  id: string,
  key: { role: Role; agencyId: string | null; label: string | null },
  origin: AuditOrigin,
): NewAuditEvent {
  return {
    action: 'api_key.created',
    entityType: 'api_key',
    entityId: id,
    origin,
    changes: {
      role: { from: null, to: key.role },
      ...(key.agencyId ? { agencyId: { from: null, to: key.agencyId } } : {}),
      ...(key.label ? { label: { from: null, to: key.label } } : {}),
    },
  };
}
