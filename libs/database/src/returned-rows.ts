/**
 * The rows of an `UPDATE … RETURNING` / `DELETE … RETURNING` run through TypeORM's `query()`.
 * For those two commands TypeORM answers `[rows, affectedCount]` instead of the rows alone
 * (every other command answers the rows), so `rows[0]` would be the whole array.
 * Passing rows through unchanged makes this safe on any result.
 */
export function returnedRows<T>(result: T[] | [T[], number]): T[] {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0];
  return result as T[];
}
