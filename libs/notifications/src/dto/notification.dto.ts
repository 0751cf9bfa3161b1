import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { ApiCount, PageQueryDto } from '#libs/shared';
import type { NotificationRow } from '../notifications.repository';

export class InboxQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'only notifications not yet acknowledged', type: Boolean })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unacknowledged?: boolean;
}

export class AcknowledgeDto {
  @ApiProperty({ format: 'uuid', description: 'a notification id: it and every older one are acknowledged' })
  @IsUUID()
  upTo: string;
}

/** An inbox entry; documented per type by the `Notification` schema (notification-payloads.ts). */
export class NotificationDto {
  id: string;
  type: string;
  createdAt: string;
  acknowledgedAt: string | null;
  /** Always bookingId and reference; restrictionId / flightId where one caused the event (see notification-payloads.ts). */
  data: Record<string, unknown>;

  static from(row: NotificationRow): NotificationDto {
    return {
      id: row.id,
      type: row.type,
      createdAt: row.createdAt.toISOString(),
      acknowledgedAt: row.acknowledgedAt ? row.acknowledgedAt.toISOString() : null,
      data: row.data,
    };
  }
}

export class NotificationPageDto {
  @ApiProperty({ type: 'array', items: { $ref: '#/components/schemas/Notification' } }) data: NotificationDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AcknowledgedDto {
  @ApiCount({ example: 12, description: 'how many notifications this call acknowledged' }) acknowledged: number;
  @ApiProperty({ format: 'uuid' }) upTo: string;
}
