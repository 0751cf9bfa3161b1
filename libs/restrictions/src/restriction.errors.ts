import { DomainError } from '#libs/shared';
import type { RestrictionWindow } from './restriction-rules';

/** A booking refused because a scheduled or active restriction covers one of its guests. */
export class NationalityRestricted extends DomainError {
  readonly code = 'nationality_restricted';
  readonly status = 422;
  readonly title = 'A nationality restriction covers this stay';

  constructor(restrictionId: string, nationalities: string[], window: RestrictionWindow) {
    super(
      `Restriction ${restrictionId} covers guests of ${nationalities.join(', ')} checking in ` +
        (window.to ? `from ${window.from} until (not including) ${window.to}` : `from ${window.from} on`),
      { restrictionId, nationalities, window },
    );
  }
}
