import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric of Kalma. One registry per process; `/metrics` on the API
 * serves it, and the worker's metrics are served by the worker's own small HTTP listener.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'kalma_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly agencyWritesWaiting = new Gauge({
    name: 'kalma_agency_writes_waiting',
    help: "Write requests waiting in line for their agency's turn (AGENCY_WRITE_CONCURRENCY), all agencies together",
    registers: [this.registry],
  });

  readonly agencyWritesRunning = new Gauge({
    name: 'kalma_agency_writes_running',
    help: 'Write requests of agents running, all agencies together; at most AGENCY_WRITE_CONCURRENCY_TOTAL',
    registers: [this.registry],
  });

  readonly agencyWritesRefused = new Counter({
    name: 'kalma_agency_writes_refused_total',
    help: 'Write requests answered 429 by the per-agency write limit: line_full (AGENCY_WRITE_QUEUE) or waited_too_long (AGENCY_WRITE_MAX_WAIT_MS)',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly bookingsCreated = new Counter({
    name: 'kalma_bookings_created_total',
    help: 'Bookings created, by initial status (held or confirmed)',
    labelNames: ['status'],
    registers: [this.registry],
  });

  readonly bookingsRefused = new Counter({
    name: 'kalma_bookings_refused_total',
    help: 'Booking requests refused by a domain rule, by problem code (capacity_exhausted, nationality_restricted, ...)',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly bookingAmendments = new Counter({
    name: 'kalma_booking_amendments_total',
    help: 'PATCH /v1/bookings/{id} answered, by outcome: amended, or the problem code of the refusal (capacity_exhausted, version_mismatch, ...)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly bookingsCancelled = new Counter({
    name: 'kalma_bookings_cancelled_total',
    help: 'Bookings cancelled, by cancellation reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly admissionBatchSize = new Histogram({
    name: 'kalma_admission_batch_size',
    help: 'Booking requests admitted together in one database transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  readonly admissionWait = new Histogram({
    name: 'kalma_admission_wait_seconds',
    help: 'Time a validated booking request waited for its admission batch to start (the batch before it was still running)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly admissionBatchDuration = new Histogram({
    name: 'kalma_admission_batch_duration_seconds',
    help: 'Time one admission batch took, its database transaction and any retries included',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'kalma_queue_jobs',
    help: 'Jobs per BullMQ queue and state (sampled when scraped)',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });

  readonly restrictionEnforcementCancellations = new Counter({
    name: 'kalma_restriction_enforcement_cancellations_total',
    help: 'Bookings cancelled by the enforcement of nationality restrictions',
    registers: [this.registry],
  });

  readonly restrictionEnforcementReductions = new Counter({
    name: 'kalma_restriction_enforcement_reductions_total',
    help: "Bookings whose covered guests were removed by the enforcement of nationality restrictions (their agency's party policy kept the rest)",
    registers: [this.registry],
  });

  readonly restrictionEnforcementDuration = new Histogram({
    name: 'kalma_restriction_enforcement_duration_seconds',
    help: 'Time one enforcement run took, from its start until every affected booking was cancelled',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly restrictionEnforcementLag = new Histogram({
    name: 'kalma_restriction_enforcement_lag_seconds',
    help: "Time from a restriction's effectiveFrom until its enforcement completed (target: 2 s for 20,000 bookings)",
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'kalma_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered, http_error, timeout, network_error, refused_address)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly webhookDeliveriesFailed = new Counter({
    name: 'kalma_webhook_deliveries_failed_total',
    help: 'Webhook deliveries given up after the whole retry window (state failed)',
    registers: [this.registry],
  });

  readonly webhookDeliveryLag = new Histogram({
    name: 'kalma_webhook_delivery_lag_seconds',
    help: 'Time from a notification being written to its webhook being delivered (2xx received)',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400],
    registers: [this.registry],
  });

  readonly webhookOldestPending = new Gauge({
    name: 'kalma_webhook_oldest_pending_seconds',
    help: "Age of each agency's oldest undelivered webhook (pending: waiting for an attempt or a retry, or in flight), sampled from PostgreSQL at scrape; agencies with none pending are absent",
    labelNames: ['agency_id'],
    registers: [this.registry],
  });

  readonly databaseDeadRows = new Gauge({
    name: 'kalma_database_dead_rows',
    help: 'Dead row versions per table, not yet cleaned by vacuum (pg_stat_user_tables, sampled at scrape): each webhook delivery, booking change and ban leaves some; they should fall back after every autovacuum',
    labelNames: ['table'],
    registers: [this.registry],
  });

  readonly databaseSecondsSinceVacuum = new Gauge({
    name: 'kalma_database_seconds_since_vacuum',
    help: 'Seconds since each table was last vacuumed, by autovacuum or by hand (sampled at scrape); tables never vacuumed since the statistics began are absent',
    labelNames: ['table'],
    registers: [this.registry],
  });

  readonly databaseAutovacuum = new Gauge({
    name: 'kalma_database_autovacuum_enabled',
    help: '1 if the PostgreSQL server runs autovacuum, 0 if it is off (then dead row versions pile up: see kalma_database_dead_rows)',
    registers: [this.registry],
  });

  readonly webhookAttemptDuration = new Histogram({
    name: 'kalma_webhook_attempt_duration_seconds',
    help: 'Duration of one webhook request, by outcome',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly flightsCancelled = new Counter({
    name: 'kalma_flights_cancelled_total',
    help: 'Flights cancelled, by cause (flight: one flight; suspension: a route suspension)',
    labelNames: ['cause'],
    registers: [this.registry],
  });

  readonly flightSegmentsReleased = new Counter({
    name: 'kalma_flight_segments_released_total',
    help: 'Booking segments taken off cancelled flights (seats released, agency notified)',
    registers: [this.registry],
  });

  readonly bookingsAnonymised = new Counter({
    name: 'kalma_bookings_anonymised_total',
    help: "Bookings whose guests' personal data was erased by the retention job (GUEST_DATA_RETENTION_DAYS)",
    registers: [this.registry],
  });

  readonly idempotencyRecordsDeleted = new Counter({
    name: 'kalma_idempotency_records_deleted_total',
    help: 'Stored Idempotency-Key answers deleted by the retention job (IDEMPOTENCY_RETENTION_HOURS)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kalma_' });
  }
}
