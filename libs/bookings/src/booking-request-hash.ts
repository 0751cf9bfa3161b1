import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * The order `String.prototype.localeCompare` gives (the default locale), from one collator made
 * once: `localeCompare` builds a collator on every call, which cost more than the hash itself.
 * The order must not change: stored fingerprints of earlier requests were made with it.
 */
const byLocale = new Intl.Collator().compare;

/**
 * The sorted order of each set of keys seen, by the keys in their given order: bodies come in a
 * handful of shapes (they are validated first), so the sort runs once per shape, not per body.
 */
const sortedKeys = new LRUCache<string, string[]>({ max: 1_000 });

function sortedKeysOf(keys: string[]): string[] {
  // JSON, not a join: no two different lists of keys give the same shape ([] and [''] included).
  const shape = JSON.stringify(keys);
  let sorted = sortedKeys.get(shape);
  if (!sorted) {
    sorted = [...keys].sort(byLocale);
    sortedKeys.set(shape, sorted);
  }
  return sorted;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined);
    // fromEntries, not assignment: a `__proto__` key stays an ordinary field.
    return Object.fromEntries(sortedKeysOf(keys).map((key) => [key, canonical(record[key])]));
  }
  return value;
}

/** Fingerprint of a request body, insensitive to key order: "the same body" for Idempotency-Key. */
export function hashRequestBody(body: unknown): string {
  return hash('sha256', JSON.stringify(canonical(body)), 'base64url');
}
