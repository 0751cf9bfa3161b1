/**
 * Every queue, job and payload of Kalma, in one place. Payloads carry ids only: the
 * database is the source of truth and a handler re-reads what it needs. Job ids are
 * deterministic so that a duplicate trigger collapses into the job already queued.
 */
export const QUEUES = {
  /** Per-booking timers (hold expiry). */
  bookings: 'bookings',
  /** Periodic sweeps that find due work in Postgres whose trigger job was lost. */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  'expire-hold': { bookingId: string };
  'sweep-expired-holds': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'expire-hold': QUEUES.bookings,
  'sweep-expired-holds': QUEUES.maintenance,
};

export const jobIds = {
  expireHold: (bookingId: string): string => `booking:${bookingId}:expire-hold`,
};
