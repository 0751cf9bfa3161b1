import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A lookup whose reads stay pending until `answer`; `reads` counts them. */
function pendingLookup() {
  const waiting: ((principal: Principal | undefined) => void)[] = [];
  const lookup = {
    reads: 0,
    read: (_hash: Buffer) => {
      lookup.reads++;
      return new Promise<Principal | undefined>((resolve) => waiting.push(resolve));
    },
    answer: (principal: Principal | undefined) => waiting.splice(0).forEach((resolve) => resolve(principal)),
  };
  return lookup;
}

const principal = (keyId: string): Principal => ({ keyId, role: 'agent', agencyId: 'agency-1' });
const hash = Buffer.from('hash');

describe('PrincipalCache', () => {
  it('keeps a principal for its TTL, then reads it again', async () => {
    const cache = new PrincipalCache(async () => principal('key-1'), 100);
    await cache.principalOf('a', hash);
    expect(cache.get('a')).toEqual(principal('key-1'));
    await sleep(150);
    expect(cache.get('a')).toBeUndefined();
  });

  it('keeps at most maxEntries principals, forgetting the least recently used', async () => {
    const cache = new PrincipalCache(async (read) => principal(read.toString()), 60_000, 2);
    await cache.principalOf('a', Buffer.from('key-a'));
    await cache.principalOf('b', Buffer.from('key-b'));
    cache.get('a');
    await cache.principalOf('c', Buffer.from('key-c'));
    expect([cache.get('a')?.keyId, cache.get('b')?.keyId, cache.get('c')?.keyId]).toEqual(['key-a', undefined, 'key-c']);
  });

  it('does not remember unknown keys', async () => {
    const lookup = pendingLookup();
    const cache = new PrincipalCache(lookup.read, 60_000);
    const first = cache.principalOf('a', hash);
    lookup.answer(undefined);
    expect(await first).toBeUndefined();
    const second = cache.principalOf('a', hash);
    expect(lookup.reads).toBe(2);
    lookup.answer(undefined);
    expect(await second).toBeUndefined();
  });

  it('forgets one key by its id, or every key, and lets the reads in flight answer without keeping them', async () => {
    const lookup = pendingLookup();
    const cache = new PrincipalCache(lookup.read, 60_000);
    const warm = cache.principalOf('a', hash);
    lookup.answer(principal('key-1'));
    await warm;
    const other = cache.principalOf('b', hash);
    lookup.answer(principal('key-2'));
    await other;

    cache.forgetKey('key-1');
    expect([cache.get('a'), cache.get('b')?.keyId]).toEqual([undefined, 'key-2']);

    // An unknown key's read in flight still answers "unknown" (not a failure) after everything is forgotten.
    const unknown = cache.principalOf('d', hash);
    cache.forgetAll();
    expect(cache.get('b')).toBeUndefined();
    lookup.answer(undefined);
    expect(await unknown).toBeUndefined();

    const late = cache.principalOf('e', hash);
    cache.forgetKey('key-9');
    lookup.answer(principal('key-5'));
    expect(await late).toEqual(principal('key-5'));
    expect(cache.get('e')).toBeUndefined();
  });
});
