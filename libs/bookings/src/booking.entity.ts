import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type BookingStatus = 'held' | 'confirmed' | 'cancelled';
export const BOOKING_STATUSES: BookingStatus[] = ['held', 'confirmed', 'cancelled'];
export type CancellationReason = 'agent_request' | 'operations' | 'restriction' | 'hold_expired';
export type ActionRequiredReason = 'guests_removed';

export interface Guest {
  fullName: string;
  nationality: string;
  dateOfBirth?: string;
  passportNumber?: string;
}

/** A guest as stored: once the booking is anonymised only the nationality is left (`fullName` null). */
export type StoredGuest = Guest | AnonymisedGuest;

export interface AnonymisedGuest {
  fullName: null;
  nationality: string;
}

/** A reservation of nights (and optionally flight seats) for a party of guests. */
@Entity({ name: 'bookings' })
export class Booking {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Short human reference, e.g. KAL-7F3K9Q. */
  @Column({ type: 'text' })
  reference: string;

  @Column({ name: 'agency_id', type: 'uuid' })
  agencyId: string;

  @Column({ type: 'text' })
  status: BookingStatus;

  @Column({ name: 'check_in', type: 'date' })
  checkIn: string;

  @Column({ name: 'check_out', type: 'date' })
  checkOut: string;

  @Column({ type: 'jsonb' })
  guests: StoredGuest[];

  @Column({ name: 'guest_count', type: 'integer' })
  guestCount: number;

  @Column({ type: 'text', array: true })
  nationalities: string[];

  @Column({ name: 'hold_expires_at', type: 'timestamptz', nullable: true })
  holdExpiresAt: Date | null;

  @Column({ name: 'outbound_flight_id', type: 'uuid', nullable: true })
  outboundFlightId: string | null;

  @Column({ name: 'return_flight_id', type: 'uuid', nullable: true })
  returnFlightId: string | null;

  @Column({ name: 'cancellation_reason', type: 'text', nullable: true })
  cancellationReason: CancellationReason | null;

  @Column({ name: 'cancellation_restriction_id', type: 'uuid', nullable: true })
  cancellationRestrictionId: string | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  /** When the guests' personal data was erased (GUEST_DATA_RETENTION_DAYS after check-out or cancellation). */
  @Column({ name: 'anonymised_at', type: 'timestamptz', nullable: true })
  anonymisedAt: Date | null;

  /** Set when a restriction's enforcement removed guests and the agency (policy `ask`) must keep or cancel by the deadline. */
  @Column({ name: 'action_required_reason', type: 'text', nullable: true })
  actionRequiredReason: ActionRequiredReason | null;

  @Column({ name: 'action_required_restriction_id', type: 'uuid', nullable: true })
  actionRequiredRestrictionId: string | null;

  @Column({ name: 'action_required_deadline', type: 'timestamptz', nullable: true })
  actionRequiredDeadline: Date | null;

  /** 1 at creation, +1 on every change (kept by a trigger); what ETag and If-Match compare. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'created_by_key_id', type: 'uuid', nullable: true })
  createdByKeyId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** What the repository returns: the entity's fields, read with plain SQL. */
export type BookingRow = Omit<Booking, 'createdByKeyId'>;
