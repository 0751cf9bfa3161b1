import { ValidationFailed } from '../errors/domain-error';

/** A page of a list endpoint: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Opaque keyset cursors: base64url of the sort key of the last row returned. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(cursor: string, keys: (keyof T)[]): T {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof decoded === 'object' && decoded !== null && keys.every((key) => key in decoded)) {
      const values = keys.map((key) => (decoded as Record<string, unknown>)[key as string]);
      if (values.every((value) => typeof value === 'string' || typeof value === 'number')) return decoded as T;
    }
  } catch {
    // fall through to the validation error below
  }
  throw ValidationFailed.field('cursor', 'is not a cursor returned by this list');
}
