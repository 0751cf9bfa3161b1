import { KalmaClient } from './kalma-client';

export interface PageThroughOptions {
  limit: number;
  /** The id of a row as the list shows it (`id` unless told). */
  idOf?: (row: any) => string;
  /** Fails the walk beyond this many pages (a cursor that never reaches the end). */
  maxPages?: number;
  /** Called after each page but the last, before the next one is fetched, with every id so far. */
  betweenPages?: (pageIndex: number, idsSoFar: string[]) => Promise<void>;
}

/**
 * Follows `nextCursor` from the first page to the last, as a client would; the ids in the order
 * the pages gave them. Every page must be 200 and hold at most `limit` rows, every page but the
 * last exactly `limit` (the lists fetch one row more to know whether there is a next page).
 */
export async function pageThrough(client: KalmaClient, path: string, options: PageThroughOptions): Promise<string[]> {
  const idOf: (row: any) => string = options.idOf ?? ((row: { id: string }) => row.id);
  const maxPages = options.maxPages ?? 10_000;
  const separator = path.includes('?') ? '&' : '?';
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pageIndex = 0; ; pageIndex++) {
    if (pageIndex >= maxPages) throw new Error(`${path}: no last page after ${maxPages} pages of ${options.limit}`);
    const page: any = await client.get(`${path}${separator}limit=${options.limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status !== 200) throw new Error(`${path} page ${pageIndex}: ${page.status} ${JSON.stringify(page.body)}`);
    const rows: any[] = page.body.data;
    cursor = page.body.nextCursor;
    if (rows.length > options.limit || (cursor && rows.length !== options.limit)) {
      throw new Error(`${path} page ${pageIndex}: ${rows.length} rows for limit ${options.limit}, nextCursor ${cursor}`);
    }
    ids.push(...rows.map(idOf));
    if (!cursor) return ids;
    await options.betweenPages?.(pageIndex, ids);
  }
}
