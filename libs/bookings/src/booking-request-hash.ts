import { createHash } from 'node:crypto';

/**
 * The order `String.prototype.localeCompare` gives (the default locale), from one collator made
 * once: `localeCompare` builds a collator on every call, which cost more than the hash itself.
 * The order must not change: stored fingerprints of earlier requests were made with it.
 */
const byLocale = new Intl.Collator().compare;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, entry]) => entry !== undefined)
        .sort(([a], [b]) => byLocale(a, b))
        .map(([key, entry]) => [key, canonical(entry)]),
    );
  }
  return value;
}

/** Fingerprint of a request body, insensitive to key order: "the same body" for Idempotency-Key. */
export function hashRequestBody(body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('base64url');
}
