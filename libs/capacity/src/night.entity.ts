import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One night of the resort. Rows appear when a night is first booked or configured. */
@Entity({ name: 'nights' })
export class Night {
  @PrimaryColumn({ type: 'date' })
  date: string;

  @Column({ type: 'integer' })
  capacity: number;

  /** Guests in held + confirmed bookings. CHECK: 0 ≤ reserved ≤ capacity. */
  @Column({ type: 'integer' })
  reserved: number;

  /** The held part of `reserved`. */
  @Column({ type: 'integer' })
  held: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
