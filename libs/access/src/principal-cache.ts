import type { Principal } from './principal';

/**
 * Remembers resolved keys for a moment so that the hot booking path does not read
 * `api_keys` on every request. A revocation takes effect at once in the process that
 * revoked the key, in the others when its broadcast arrives (`KeyRevocationChannel`,
 * milliseconds), and within `ttlMs` at the latest when Redis could not carry it. Expiry is a
 * timeout, measured on the monotonic clock (`performance.now()`), not the domain's `Clock`.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(hashHex: string, now = performance.now()): Principal | undefined {
    const entry = this.entries.get(hashHex);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(hashHex);
      return undefined;
    }
    return entry.principal;
  }

  set(hashHex: string, principal: Principal, now = performance.now()): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(hashHex, { principal, expiresAt: now + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }

  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.entries) if (entry.principal.keyId === keyId) this.entries.delete(hash);
  }
}
