import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditOrigin, AuditService } from '#libs/audit';
import { AppConfig } from '#libs/config';
import { daysBetween, ValidationFailed } from '#libs/shared';
import { CapacityBelowReserved } from './capacity.errors';
import { CapacityRepository, NightState } from './capacity.repository';

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
}
