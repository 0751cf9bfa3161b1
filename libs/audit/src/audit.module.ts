import { Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/**
 * The audit trail. Imported by every library that changes state (it depends on none of them);
 * the HTTP side (`GET /v1/audit-events`) is the API application's `AuditEventsController`, and
 * a booking's history is served by the bookings controller.
 */
@Module({
  providers: [AuditRepository, AuditService],
  exports: [AuditService],
})
export class AuditModule {}
