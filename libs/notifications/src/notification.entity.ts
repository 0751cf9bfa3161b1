import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An event for one agency: its inbox entry and its webhook delivery (the outbox). */
@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Insertion order: the inbox's cursor and the meaning of "older" for acknowledgement. */
  @Column({ type: 'bigint', insert: false, update: false })
  sequence: string;

  @Column({ name: 'agency_id', type: 'uuid' })
  agencyId: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  /** One notification per event: e.g. `booking:<id>:cancelled`. */
  @Column({ name: 'dedupe_key', type: 'text' })
  dedupeKey: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt: Date | null;

  /** Webhook delivery: pending, delivered, failed (given up) or not_applicable (no webhook URL). */
  @Column({ name: 'delivery_state', type: 'text', default: 'pending' })
  deliveryState: string;

  /** When the next attempt is due; while an attempt is in flight, when its claim lapses. Null once settled. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'delivery_attempts', type: 'integer', default: 0 })
  deliveryAttempts: number;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  /** When the current retry window began: null for the first (from createdAt); reset by a retry operations ask for. */
  @Column({ name: 'retry_window_started_at', type: 'timestamptz', nullable: true })
  retryWindowStartedAt: Date | null;

  /** `deliveryAttempts` when the current retry window began: giving up and the backoff count the attempts after it. */
  @Column({ name: 'attempts_before_retry_window', type: 'integer', default: 0 })
  attemptsBeforeRetryWindow: number;
}
