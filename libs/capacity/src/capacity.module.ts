import { Module } from '@nestjs/common';
import { AuditModule } from '#libs/audit';
import { CapacityRepository } from './capacity.repository';
import { CapacityService } from './capacity.service';

@Module({
  imports: [AuditModule],
  providers: [CapacityRepository, CapacityService],
  exports: [CapacityService],
})
export class CapacityModule {}
