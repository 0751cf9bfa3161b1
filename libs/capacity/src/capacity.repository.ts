import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RowOf, selectList } from '#libs/database';

const NIGHT_SELECT = selectList('nights', null, ['date', 'capacity', 'reserved', 'held']);
/** One night's capacity and counters (`reserved`: guests in held and confirmed bookings; `held`: the held part). */
export type NightState = RowOf<typeof NIGHT_SELECT>;

/** A change to one night's counters; negative values release. */
export interface NightDelta {
  date: string;
  reserved: number;
  held: number;
}

@Injectable()
export class CapacityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Creates missing night rows with the default capacity. Runs outside the booking
   * transaction so that the transaction itself only ever locks existing rows, in date order.
   */
  async ensureNights(dates: string[], defaultCapacity: number): Promise<void> {
    if (dates.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO nights (date, capacity) SELECT d, $2 FROM unnest($1::date[]) AS d ORDER BY d
       ON CONFLICT (date) DO NOTHING`,
      [dates, defaultCapacity],
    );
  }

  /**
   * Which of these nights have a row (a plain read: it waits for no lock). `ensureNights` on a
   * night being updated would wait for that transaction (its unique check sees the row version
   * in progress), so callers that cannot cache known nights ask this first.
   */
  async existingNights(dates: string[]): Promise<Set<string>> {
    if (dates.length === 0) return new Set();
    const rows: { date: string }[] = await this.dataSource.query(`SELECT date FROM nights WHERE date = ANY($1::date[])`, [dates]);
    return new Set(rows.map((row) => row.date));
  }

  /** Locks the given nights in date order — the one lock order every transaction follows, so none deadlock. */
  async lockNights(manager: EntityManager, dates: string[]): Promise<Map<string, NightState>> {
    const rows: NightState[] = await manager.query(
      `SELECT ${NIGHT_SELECT.sql} FROM nights WHERE date = ANY($1::date[]) ORDER BY date FOR UPDATE`,
      [dates],
    );
    return new Map(rows.map((row) => [row.date, row]));
  }

  /** Adds the deltas to already-locked nights. The CHECK constraints refuse any result beyond capacity. */
  async addToNights(manager: EntityManager, deltas: NightDelta[]): Promise<void> {
    const changed = deltas.filter((delta) => delta.reserved !== 0 || delta.held !== 0);
    if (changed.length === 0) return;
    await manager.query(
      `UPDATE nights SET reserved = nights.reserved + d.reserved, held = nights.held + d.held, updated_at = now()
         FROM unnest($1::date[], $2::int[], $3::int[]) AS d(date, reserved, held)
        WHERE nights.date = d.date`,
      [changed.map((delta) => delta.date), changed.map((delta) => delta.reserved), changed.map((delta) => delta.held)],
    );
  }

  /** Locks (in date order) and changes nights in one go; used when releasing or converting bookings. */
  async lockAndAddToNights(manager: EntityManager, deltas: NightDelta[]): Promise<void> {
    const dates = [...new Set(deltas.map((delta) => delta.date))].sort();
    if (dates.length === 0) return;
    await this.lockNights(manager, dates);
    await this.addToNights(manager, deltas);
  }

  /** The calendar `[from, to)`: nights without a row have the default capacity and nothing reserved. */
  async calendar(from: string, to: string, defaultCapacity: number): Promise<NightState[]> {
    return this.dataSource.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS date,
              COALESCE(n.capacity, $3)::int AS capacity,
              COALESCE(n.reserved, 0)::int AS reserved,
              COALESCE(n.held, 0)::int AS held
         FROM generate_series($1::date, $2::date - 1, interval '1 day') AS day
         LEFT JOIN nights n ON n.date = day::date
        ORDER BY day`,
      [from, to, defaultCapacity],
    );
  }
}
