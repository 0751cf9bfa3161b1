import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but when present it is validated, null included. Use it instead of
 * `@IsOptional()` (which lets null through unvalidated) for fields that have no "null" meaning:
 * `{"seats": null}` is then `validation_failed`, not a NOT NULL violation (a 500) further down.
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
