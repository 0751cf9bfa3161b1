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

  readonly queueDepth = new Gauge({
    name: 'kalma_queue_jobs',
    help: 'Jobs per BullMQ queue and state (sampled when scraped)',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kalma_' });
  }
}
