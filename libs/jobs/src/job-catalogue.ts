/**
 * Every queue, job and payload of Kalma, in one place. Payloads carry ids only: the
 * database is the source of truth and a handler re-reads what it needs. Job ids are
 * deterministic so that a duplicate trigger collapses into the job already queued.
 */
export const QUEUES = {
  /** Per-booking timers (hold expiry, party decision deadlines). */
  bookings: 'bookings',
  /** Periodic sweeps that find due work in Postgres whose trigger job was lost. */
  maintenance: 'maintenance',
  /** Ban enforcement: one job per restriction, started when it takes effect. */
  restrictions: 'restrictions',
  /** Webhook delivery rounds: each drains the due deliveries found in Postgres. */
  webhooks: 'webhooks',
  /** Flight disruptions: one job per cancelled flight, taking its bookings off it in chunks. */
  disruptions: 'disruptions',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobPayloads {
  'expire-hold': { bookingId: string };
  'sweep-expired-holds': Record<string, never>;
  /** Cancels a reduced booking whose agency (policy `ask`) neither kept nor cancelled it by its deadline; delayed until then. */
  'expire-party-decision': { bookingId: string };
  /** Cancels every booking whose decision deadline has passed (the delayed jobs' safety net). */
  'sweep-party-decisions': Record<string, never>;
  /** Cancels the bookings a restriction affects, in chunks; delayed until its effectiveFrom. */
  'enforce-restriction': { restrictionId: string };
  /** Re-triggers enforcement of every restriction in effect whose enforcement has not completed. */
  'reconcile-restrictions': Record<string, never>;
  /** Claims due webhook deliveries and sends them (declared as a job scheduler; also safe to enqueue ad hoc). */
  'dispatch-webhooks': Record<string, never>;
  /** Takes the live bookings off a cancelled flight (segment cleared, seats released, agency notified), in chunks. */
  'disrupt-flight': { flightId: string };
  /** Re-triggers every flight disruption that has not completed. */
  'reconcile-flight-disruptions': Record<string, never>;
  /** Anonymises guests past GUEST_DATA_RETENTION_DAYS and deletes idempotency records past IDEMPOTENCY_RETENTION_HOURS, in chunks. */
  'apply-data-retention': Record<string, never>;
  /** Folds the changes appended to the ban preview's party counts (`live_party_counts`) into one total per key. */
  'fold-party-counts': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'expire-hold': QUEUES.bookings,
  'sweep-expired-holds': QUEUES.maintenance,
  'expire-party-decision': QUEUES.bookings,
  'sweep-party-decisions': QUEUES.maintenance,
  'enforce-restriction': QUEUES.restrictions,
  'reconcile-restrictions': QUEUES.maintenance,
  'dispatch-webhooks': QUEUES.webhooks,
  'disrupt-flight': QUEUES.disruptions,
  'reconcile-flight-disruptions': QUEUES.maintenance,
  'apply-data-retention': QUEUES.maintenance,
  'fold-party-counts': QUEUES.maintenance,
};

/**
 * Custom job ids use `-` as their separator, never `:`. BullMQ builds Redis keys as
 * `<prefix>:<queue>:<jobId>` and its docs say custom ids must not contain `:`; BullMQ 6 already
 * rejects any id with a `:` that does not split into exactly three parts ("Custom Id cannot
 * contain :"), and marks that leniency for removal.
 */
export const jobIds = {
  expireHold: (bookingId: string): string => `booking-${bookingId}-expire-hold`,
  /**
   * The hold's job again, after it ran before the hold ended. The running job still holds the
   * plain id (an add under it would be ignored), so each re-schedule gets its own, stamped with
   * when it was made.
   */
  expireHoldRescheduled: (bookingId: string, rescheduledAt: Date): string => `${jobIds.expireHold(bookingId)}-${rescheduledAt.getTime()}`,
  /** One per booking and restriction: a later restriction that reduces the booking again asks again under its own id. */
  partyDecision: (bookingId: string, restrictionId: string): string => `booking-${bookingId}-decision-${restrictionId}`,
  /** The decision's job again, after it ran before the deadline (as for holds). */
  partyDecisionRescheduled: (bookingId: string, restrictionId: string, rescheduledAt: Date): string =>
    `${jobIds.partyDecision(bookingId, restrictionId)}-${rescheduledAt.getTime()}`,
  enforceRestriction: (restrictionId: string): string => `restriction-${restrictionId}-enforce`,
  disruptFlight: (flightId: string): string => `flight-${flightId}-disrupt`,
};
