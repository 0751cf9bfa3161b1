import { ValidationFailed, VersionMismatch } from '#libs/shared';

/**
 * An `If-Match` header as a condition on a booking's version: `*` (any current booking) or the
 * versions it lists (`"3"`, or `"3", "4"`). Booking ETags are strong and are the version in quotes.
 */
export type VersionPrecondition = { kind: 'any' } | { kind: 'versions'; versions: number[]; header: string };

const ENTITY_TAG = /^"([1-9][0-9]{0,9})"$/;

/**
 * Parses `If-Match`; absent is no condition. Anything that is not `*` or a comma-separated list of
 * our ETags (a positive integer in double quotes; weak tags never match an If-Match, and we issue
 * none) is 400 validation_failed, before anything is read or locked.
 */
export function parseIfMatch(header: string | undefined): VersionPrecondition | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return { kind: 'any' };
  const versions = trimmed.split(',').map((tag) => ENTITY_TAG.exec(tag.trim())?.[1]);
  if (trimmed === '' || versions.some((version) => version === undefined)) {
    throw ValidationFailed.field(
      'If-Match',
      'must be * or a booking ETag such as "3" (the version in double quotes), or a comma-separated list of them',
    );
  }
  return { kind: 'versions', versions: versions.map(Number), header: trimmed };
}

/** Refuses (412 version_mismatch) a locked booking whose version the precondition does not name. */
export function checkVersion(booking: { reference: string; version: number }, precondition: VersionPrecondition | undefined): void {
  if (!precondition || precondition.kind === 'any') return;
  if (!precondition.versions.includes(booking.version))
    throw new VersionMismatch(`Booking ${booking.reference}`, booking.version, precondition.header);
}
