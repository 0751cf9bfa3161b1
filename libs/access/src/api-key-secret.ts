import { hash, randomBytes } from 'node:crypto';
import type { Role } from './principal';

/** A new random API key: 32 random bytes, prefixed so a leaked key is recognisable in a scan. */
export function generateApiKey(role: Role): string {
  return `kalma_${role === 'operations' ? 'ops' : 'agt'}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Keys are stored and looked up by SHA-256: they carry 256 bits of entropy, so no slow hash is
 * needed. `crypto.hash` (one call, no Hash object) because every request hashes its key.
 */
export function hashApiKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

export function keyPrefixOf(key: string): string {
  return key.slice(0, 14);
}

/** A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
