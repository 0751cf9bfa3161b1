import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditOrigin, AuditService } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { daysBetween, ValidationFailed } from '#libs/shared';
import { CapacityBelowReserved } from './capacity.errors';
import { CapacityRepository, NightDelta, NightState } from './capacity.repository';

/** The longest calendar one request may read. */
export const MAX_CALENDAR_NIGHTS = 800;

@Injectable()
export class CapacityService {
  constructor(
    private readonly repository: CapacityRepository,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async calendar(from: string, to: string): Promise<NightState[]> {
    const length = daysBetween(from, to);
    if (length < 1) throw ValidationFailed.field('to', 'must be after from');
    if (length > MAX_CALENDAR_NIGHTS) throw ValidationFailed.field('to', `the range may span at most ${MAX_CALENDAR_NIGHTS} nights`);
    return this.repository.calendar(from, to, this.config.RESORT_CAPACITY);
  }

  async setCapacity(date: string, capacity: number, origin: AuditOrigin): Promise<NightState> {
    await this.repository.ensureNights([date], this.config.RESORT_CAPACITY);
    return this.dataSource.transaction(async (manager) => {
      const night = (await this.repository.lockNights(manager, [date])).get(date);
      if (!night) throw new Error(`night ${date} vanished`);
      if (capacity < night.reserved) throw new CapacityBelowReserved(date, capacity, night.reserved);
      if (capacity === night.capacity) return night;
      await manager.query('UPDATE nights SET capacity = $2, updated_at = now() WHERE date = $1', [date, capacity]);
      await this.audit.record(manager, [
        {
          action: 'capacity.set',
          entityType: 'night',
          entityId: date,
          origin,
          changes: { capacity: { from: night.capacity, to: capacity } },
        },
      ]);
      return { ...night, capacity };
    });
  }

  // --- inside the caller's transaction ---------------------------------------------------------
  // Thin: each is one statement of CapacityRepository, on the caller's EntityManager where it
  // takes one, so that bookings keep their one transaction and their lock order (nights by date).

  /** Creates missing night rows with the default capacity, outside any booking transaction. */
  async ensureNights(dates: string[], defaultCapacity: number): Promise<void> {
    return this.repository.ensureNights(dates, defaultCapacity);
  }

  /** Which of these nights have a row (a plain read: it waits for no lock). */
  async existingNights(dates: string[]): Promise<Set<string>> {
    return this.repository.existingNights(dates);
  }

  /** Locks the given nights in date order. */
  async lockNights(manager: EntityManager, dates: string[]): Promise<Map<string, NightState>> {
    return this.repository.lockNights(manager, dates);
  }

  /** Adds the deltas to already-locked nights; the CHECK constraints refuse any result beyond capacity. */
  async addToNights(manager: EntityManager, deltas: NightDelta[]): Promise<void> {
    return this.repository.addToNights(manager, deltas);
  }

  /** Locks (in date order) and changes nights in one go. */
  async lockAndAddToNights(manager: EntityManager, deltas: NightDelta[]): Promise<void> {
    return this.repository.lockAndAddToNights(manager, deltas);
  }
}
