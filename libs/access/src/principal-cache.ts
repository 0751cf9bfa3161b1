import { LRUCache } from 'lru-cache';
import type { Principal } from './principal';

/** Reads the principal of a key hash from the database; undefined for a key unknown or revoked. */
export type PrincipalLookup = (hash: Buffer) => Promise<Principal | undefined>;

/**
 * Remembers resolved keys for `ttlMs` so that the hot booking path does not read `api_keys` on
 * every request, at most `maxEntries` of them (the least recently used go first). A revocation
 * takes effect at once in the process that revoked the key, in the others when its broadcast
 * arrives (`KeyRevocationChannel`, milliseconds), and within `ttlMs` at the latest when Redis
 * could not carry it. Unknown and revoked keys are not remembered.
 *
 * `principalOf` is single-flight: the requests that arrive while a key is being read (about
 * fifteen per process when a busy key's entry runs out under the booking benchmark) share that
 * one read (lru-cache's `fetch`), and a failed read fails them all and is not remembered.
 */
export class PrincipalCache {
  private readonly principals: LRUCache<string, Principal, Buffer>;
  /** Moves on every revocation, so that a read which started before one does not keep its answer. */
  private revocations = 0;

  constructor(lookup: PrincipalLookup, ttlMs: number, maxEntries = 10_000) {
    this.principals = new LRUCache<string, Principal, Buffer>({
      max: maxEntries,
      ttl: ttlMs,
      // A read whose entry is deleted meanwhile (below) still answers the requests waiting for it.
      ignoreFetchAbort: true,
      fetchMethod: async (hashHex, _expired, { context: hash }) => {
        const revocationsBefore = this.revocations;
        const principal = await lookup(hash);
        // The revocation may have been this key's: answer what was read, but do not keep it.
        if (principal && this.revocations !== revocationsBefore) this.principals.delete(hashHex);
        return principal;
      },
    });
  }

  /** The principal if remembered and fresh: no I/O. */
  get(hashHex: string): Principal | undefined {
    return this.principals.get(hashHex);
  }

  /** The remembered principal, else the one read (shared with the requests asking meanwhile). */
  principalOf(hashHex: string, hash: Buffer): Promise<Principal | undefined> {
    return this.principals.fetch(hashHex, { context: hash });
  }

  forgetKey(keyId: string): void {
    this.revocations++;
    for (const [hashHex, principal] of [...this.principals.entries()]) if (principal.keyId === keyId) this.principals.delete(hashHex);
  }

  /** Every key (a lost revocation channel: any key may have been revoked meanwhile). */
  forgetAll(): void {
    this.revocations++;
    // Reads in flight are left to finish (and not kept, as `revocations` moved): `clear` would
    // make those of unknown keys fail instead of answering "unknown".
    for (const hashHex of [...this.principals.keys()]) this.principals.delete(hashHex);
  }
}
