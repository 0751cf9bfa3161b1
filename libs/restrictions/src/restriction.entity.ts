import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type EnforcementState = 'pending' | 'running' | 'completed';
export const ENFORCEMENT_STATES: EnforcementState[] = ['pending', 'running', 'completed'];

/** A nationality restriction (ban) and the progress of its enforcement. */
@Entity({ name: 'restrictions' })
export class Restriction {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The covered nationalities; null for an all-foreigners restriction. */
  @Column({ type: 'text', array: true, nullable: true })
  nationalities: string[] | null;

  @Column({ name: 'all_foreign', type: 'boolean' })
  allForeign: boolean;

  @Column({ name: 'except_nationalities', type: 'text', array: true })
  exceptNationalities: string[];

  /** RESORT_HOME_COUNTRY at creation. */
  @Column({ name: 'home_country', type: 'text' })
  homeCountry: string;

  @Column({ name: 'effective_from', type: 'timestamptz' })
  effectiveFrom: Date;

  @Column({ name: 'effective_until', type: 'timestamptz', nullable: true })
  effectiveUntil: Date | null;

  @Column({ name: 'window_from', type: 'date' })
  windowFrom: string;

  @Column({ name: 'window_to', type: 'date', nullable: true })
  windowTo: string | null;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'applied_by_key_id', type: 'uuid', nullable: true })
  appliedByKeyId: string | null;

  @Column({ name: 'lifted_at', type: 'timestamptz', nullable: true })
  liftedAt: Date | null;

  @Column({ name: 'lifted_by_key_id', type: 'uuid', nullable: true })
  liftedByKeyId: string | null;

  @Column({ name: 'enforcement_state', type: 'text' })
  enforcementState: EnforcementState;

  @Column({ name: 'affected_bookings', type: 'integer' })
  affectedBookings: number;

  @Column({ name: 'cancelled_bookings', type: 'integer' })
  cancelledBookings: number;

  /** Bookings whose covered guests were removed (the rest of the party kept). */
  @Column({ name: 'reduced_bookings', type: 'integer' })
  reducedBookings: number;

  @Column({ name: 'enforcement_started_at', type: 'timestamptz', nullable: true })
  enforcementStartedAt: Date | null;

  @Column({ name: 'enforcement_completed_at', type: 'timestamptz', nullable: true })
  enforcementCompletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** What the repository returns: the entity's fields, read with plain SQL. */
export type RestrictionRow = Restriction;
