import type { DataSource } from 'typeorm';
import { AuditOrigin, AuditService } from '#libs/audit';
import { AppConfig } from '#libs/config';
import type { AccessRepository, ApiKeyRow } from './access.repository';
import { ApiKeysService } from './api-keys.service';
import type { KeyRevocationChannel, RevocationListener } from './key-revocation-channel';
import type { Principal } from './principal';

/**
 * The key lookup's caching rules, with an in-memory stand-in for the two repository calls it
 * makes (the database side of keys is covered end to end by the access tests).
 */
describe('ApiKeysService.authenticate', () => {
  const principal: Principal = { keyId: 'key-1', role: 'agent', agencyId: 'agency-1' };
  const origin: AuditOrigin = {
    actor: { type: 'api_key', keyId: 'ops-key', role: 'operations', agencyId: null },
    cause: { type: 'request' },
    requestId: 'request-1',
  };

  /** A repository whose lookups stay pending until `answer` is called. */
  function pendingRepository() {
    const waiting: { resolve: (value: Principal | undefined) => void; reject: (error: Error) => void }[] = [];
    const repository = {
      lookups: 0,
      findActivePrincipalByHash: () => {
        repository.lookups++;
        return new Promise<Principal | undefined>((resolve, reject) => waiting.push({ resolve, reject }));
      },
      revokeApiKey: async (_manager: unknown, id: string) =>
        ({ id, wasRevoked: false, revokedAt: new Date() }) as ApiKeyRow & { wasRevoked: boolean },
      answer: (value: Principal | undefined) => waiting.splice(0).forEach((lookup) => lookup.resolve(value)),
      fail: (error: Error) => waiting.splice(0).forEach((lookup) => lookup.reject(error)),
    };
    return repository;
  }

  /** What the service told the channel, and the listener it registered (as Redis would call it). */
  const channel = { published: [] as string[], listener: undefined as RevocationListener | undefined };

  function serviceWith(repository: ReturnType<typeof pendingRepository>): ApiKeysService {
    const revocationChannel = {
      publish: async (keyId: string) => void channel.published.push(keyId),
      listen: (listener: RevocationListener) => (channel.listener = listener),
    } as unknown as KeyRevocationChannel;
    // Transactions run at once on a stand-in manager; audit events are counted, not stored.
    const dataSource = { transaction: async <T>(work: (manager: unknown) => Promise<T>) => work({}) } as unknown as DataSource;
    const audit = { record: async () => undefined } as unknown as AuditService;
    return new ApiKeysService(repository as unknown as AccessRepository, new AppConfig(), revocationChannel, dataSource, audit);
  }

  it('broadcasts its revocations, and drops keys revoked elsewhere or everything after a lost subscription', async () => {
    const repository = pendingRepository();
    const service = serviceWith(repository);
    service.followRevocations();
    await service.revoke('key-9', origin);
    expect(channel.published).toContain('key-9');

    const warm = async (key: string, answer: Principal): Promise<void> => {
      const lookup = service.authenticate(key);
      repository.answer(answer);
      await lookup;
      expect(service.cachedPrincipal(key)).toEqual(answer);
    };
    const other: Principal = { keyId: 'key-2', role: 'operations', agencyId: null };
    await warm('kalma_agt_secret', principal);
    await warm('kalma_ops_secret', other);
    channel.listener?.revoked('key-1');
    expect(service.cachedPrincipal('kalma_agt_secret')).toBeUndefined();
    expect(service.cachedPrincipal('kalma_ops_secret')).toEqual(other);
    channel.listener?.resubscribed();
    expect(service.cachedPrincipal('kalma_ops_secret')).toBeUndefined();
  });

  it('shares one database read among the requests that arrive while a key is looked up, then serves it from the cache', async () => {
    const repository = pendingRepository();
    const service = serviceWith(repository);
    const answers = Promise.all(Array.from({ length: 30 }, () => service.authenticate('kalma_agt_secret')));
    repository.answer(principal);
    expect(await answers).toEqual(Array(30).fill(principal));
    expect(repository.lookups).toBe(1);
    expect(await service.authenticate('kalma_agt_secret')).toEqual(principal);
    expect(repository.lookups).toBe(1);
  });

  it('does not cache an answer read before a revocation that happened meanwhile', async () => {
    const repository = pendingRepository();
    const service = serviceWith(repository);
    const answer = service.authenticate('kalma_agt_secret');
    await service.revoke('key-1', origin);
    repository.answer(principal);
    await answer;
    const again = service.authenticate('kalma_agt_secret');
    expect(repository.lookups).toBe(2);
    repository.answer(undefined);
    expect(await again).toBeUndefined();
  });

  it('gives every waiting request the failure of a failed read, and reads again on the next request', async () => {
    const repository = pendingRepository();
    const service = serviceWith(repository);
    const answers = Promise.allSettled([service.authenticate('kalma_agt_secret'), service.authenticate('kalma_agt_secret')]);
    repository.fail(new Error('connection terminated'));
    expect((await answers).map((answer) => answer.status)).toEqual(['rejected', 'rejected']);
    const next = service.authenticate('kalma_agt_secret');
    expect(repository.lookups).toBe(2);
    repository.answer(principal);
    expect(await next).toEqual(principal);
  });
});
