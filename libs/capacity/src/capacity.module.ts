import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '#libs/audit';
import { CapacityRepository } from './capacity.repository';
import { CapacityService } from './capacity.service';
import { Night } from './night.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Night]), AuditModule],
  providers: [CapacityRepository, CapacityService],
  exports: [CapacityService],
})
export class CapacityModule {}
