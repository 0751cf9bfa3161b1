import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '#libs/shared';
import { NationalityRestricted } from './restriction.errors';
import { refusalFor, RestrictionTerms } from './restriction-rules';
import { RestrictionsRepository, termsOf } from './restrictions.repository';

/**
 * The check of booking admission against restrictions, run inside the admission transaction.
 *
 * `load` takes the restrictions lock shared before the batch locks its nights, then reads the
 * restrictions in force: a restriction being created waits for this transaction to commit (its
 * bookings exist when enforcement looks for them), or this transaction waits for the
 * restriction to commit and then sees it. Either way no booking slips past a ban.
 */
@Injectable()
export class RestrictionGate {
  constructor(
    private readonly repository: RestrictionsRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Takes the restrictions lock shared without reading yet: a transaction that must lock a
   * booking before it knows the check-in to check (an amendment) enters first, so that it never
   * waits for this lock while holding a booking's row. `load` then takes it again (re-entrant).
   */
  async enter(manager: EntityManager): Promise<void> {
    await this.repository.lockShared(manager);
  }

  /** The restrictions that may refuse stays checking in on any of `checkIns`. */
  async load(manager: EntityManager, checkIns: string[]): Promise<RestrictionTerms[]> {
    if (checkIns.length === 0) return [];
    await this.repository.lockShared(manager);
    const sorted = [...checkIns].sort();
    const rows = await this.repository.refusingBookings(manager, sorted[0], sorted[sorted.length - 1]);
    return rows.map(termsOf);
  }

  /** The refusal for one booking, decided in memory against what `load` returned. */
  refusalFor(
    restrictions: RestrictionTerms[],
    booking: { checkIn: string; guests: { nationality: string }[] },
  ): NationalityRestricted | undefined {
    if (restrictions.length === 0) return undefined;
    const refusal = refusalFor(
      restrictions,
      { checkIn: booking.checkIn, nationalities: booking.guests.map((guest) => guest.nationality) },
      this.clock.now(),
    );
    return refusal ? new NationalityRestricted(refusal.restrictionId, refusal.nationalities, refusal.window) : undefined;
  }
}
