import { ValidationFailed } from '../errors/domain-error';

/** A page of a list endpoint: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * The lists that hand out cursors. A cursor names its list, so one list's cursor given to another
 * whose sort key has the same shape (bookings and restrictions both sort on created_at and id) is
 * refused instead of silently starting that list somewhere arbitrary.
 */
export type CursorList =
  | 'agencies'
  | 'audit-events'
  | 'bookings'
  | 'flights'
  | 'notifications'
  | 'restrictions'
  | 'route-suspensions'
  | 'routes'
  | 'webhook-deliveries';

/** Opaque keyset cursors: base64url of the list's name and the sort key of the last row returned. */
export function encodeCursor(list: CursorList, position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ list, ...position }), 'utf8').toString('base64url');
}

/**
 * The page of a list whose query asked for `limit + 1` rows: the first `limit` of them, and a
 * cursor at the last of those only when the extra row shows there is more.
 */
export function pageOf<T>(rows: T[], limit: number, list: CursorList, positionOf: (last: T) => Record<string, string | number>): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(list, positionOf(last)) : null };
}

export function decodeCursor<T extends Record<string, string | number>>(list: CursorList, cursor: string, keys: (keyof T)[]): T {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const ofThisList = typeof decoded === 'object' && decoded !== null && (decoded as Record<string, unknown>).list === list;
    if (ofThisList && keys.every((key) => key in decoded)) {
      const values = keys.map((key) => (decoded as Record<string, unknown>)[key as string]);
      if (values.every((value) => typeof value === 'string' || typeof value === 'number')) return decoded as T;
    }
  } catch {
    // fall through to the validation error below
  }
  throw ValidationFailed.field('cursor', 'is not a cursor returned by this list');
}

/*
 * Lists ordered on (timestamp, id). The cursor carries the timestamp as the exact text PostgreSQL
 * holds, to the microsecond: a JS Date keeps milliseconds only, and a cursor made from one sorts
 * before the rows of the same millisecond that PostgreSQL orders after it, so the next page would
 * skip or repeat them. The keyset condition stays a plain row comparison on the column, which the
 * (timestamp, id) indexes serve.
 */

/** SQL for a timestamptz column as a cursor carries it: ISO 8601 in UTC with six fractional digits. */
export function cursorTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

const CURSOR_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether PostgreSQL takes `text` as a timestamptz: a real calendar date and time (no 30 February, no year 0). */
function isCursorTimestamp(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const match = CURSOR_TIMESTAMP.exec(text);
  if (!match || match[1].startsWith('0000')) return false;
  const seconds = new Date(`${match[1]}Z`);
  // Date rolls an impossible date over (30 February is 2 March): only a date it keeps is real.
  return !Number.isNaN(seconds.getTime()) && seconds.toISOString().startsWith(match[1]);
}

/**
 * Decodes the cursor of a list ordered on (`timestampKey`, id), refusing (400) any whose values
 * the query could not take: a forged cursor is bad input, never a database error.
 */
export function decodeTimestampCursor<K extends string>(list: CursorList, cursor: string, timestampKey: K): Record<K | 'id', string> {
  const position = decodeCursor<Record<string, string | number>>(list, cursor, [timestampKey, 'id']);
  const timestamp = position[timestampKey];
  const id = position.id;
  if (!isCursorTimestamp(timestamp) || typeof id !== 'string' || !UUID.test(id)) {
    throw ValidationFailed.field('cursor', 'is not a cursor returned by this list');
  }
  return { [timestampKey]: timestamp, id } as Record<K | 'id', string>;
}
