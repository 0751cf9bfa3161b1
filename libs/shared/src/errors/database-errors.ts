/** PostgreSQL's SQLSTATE for a foreign-key violation. */
const FOREIGN_KEY_VIOLATION = '23503';

/** The driver's error behind TypeORM's `QueryFailedError`, or the error itself. */
function driverErrorOf(error: unknown): { code?: unknown; constraint?: unknown } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const driverError = (error as { driverError?: unknown }).driverError;
  return typeof driverError === 'object' && driverError !== null ? driverError : error;
}

export function isForeignKeyViolation(error: unknown): boolean {
  return driverErrorOf(error)?.code === FOREIGN_KEY_VIOLATION;
}

/**
 * A foreign-key violation of a constraint on this column (PostgreSQL names them
 * `<table>_<column>_fkey`): a row the request named does not exist.
 */
export function isForeignKeyViolationOn(error: unknown, column: string): boolean {
  const constraint = driverErrorOf(error)?.constraint;
  return isForeignKeyViolation(error) && typeof constraint === 'string' && constraint.endsWith(`_${column}_fkey`);
}
