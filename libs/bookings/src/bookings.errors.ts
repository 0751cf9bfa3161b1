import { DomainError } from '#libs/shared';

/** `MAX_HELD_GUESTS_PER_AGENCY`: the agency's live holds leave no room for this one. */
export class HoldLimitReached extends DomainError {
  readonly code = 'hold_limit_reached';
  readonly status = 409;
  readonly title = 'The agency holds as many guests as it may';

  constructor(limit: number, held: number, requested: number) {
    super(
      `the agency has ${held} guests in live holds of at most ${limit}; holding ${requested} more is not possible until holds are confirmed, cancelled or expire`,
      { limit, held, requested },
    );
  }
}
