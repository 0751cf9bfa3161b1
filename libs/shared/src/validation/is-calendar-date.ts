import { registerDecorator, ValidationOptions } from 'class-validator';
import { isCalendarDate } from '../time/resort-calendar';

/** A real calendar date written `YYYY-MM-DD` (2027-02-30 is refused). */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be a real date written YYYY-MM-DD', ...options },
      validator: { validate: (value: unknown) => isCalendarDate(value) },
    });
}

/** An ISO 8601 instant with an explicit offset (`Z` or `+09:00`), e.g. 2027-07-01T00:00:00+09:00. */
export function IsInstantWithOffset(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isInstantWithOffset',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an ISO 8601 instant with an offset, e.g. 2027-07-01T09:00:00+09:00', ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(value);
          if (!match || !isCalendarDate(match[1])) return false;
          if (Number(match[2]) > 23 || Number(match[3]) > 59 || Number(match[5] ?? 0) > 59) return false;
          return !Number.isNaN(Date.parse(value));
        },
      },
    });
}
