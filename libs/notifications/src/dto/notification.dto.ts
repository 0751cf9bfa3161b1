import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '#libs/shared';
import type { NotificationRow } from '../notifications.repository';

export class InboxQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'only notifications not yet acknowledged', type: Boolean })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unacknowledged?: boolean;
}

export class AcknowledgeDto {
  @ApiProperty({ format: 'uuid', description: 'a notification id: it and every older one are acknowledged' })
  @IsUUID()
  upTo: string;
}

export class NotificationDto {
  @ApiProperty({ format: 'uuid', description: 'also the webhook-id of its webhook delivery' }) id: string;
  @ApiProperty({ example: 'booking.cancelled', enum: ['booking.cancelled', 'booking.hold_expired', 'booking.flight_cancelled', 'booking.guests_removed', 'booking.action_required', 'booking.amended'] }) type: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) acknowledgedAt: string | null;
  @ApiProperty({
    example: { bookingId: '0b6f3f7e-8a55-4a8e-9d3c-2f0f3c1b2a11', reference: 'KAL-7F3K9Q', reason: 'restriction', restrictionId: '5c1d…' },
    description: 'always bookingId and reference; restrictionId / flightId where one caused the event',
  })
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
  @ApiProperty({ type: [NotificationDto] }) data: NotificationDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AcknowledgedDto {
  @ApiProperty({ example: 12, description: 'how many notifications this call acknowledged' }) acknowledged: number;
  @ApiProperty({ format: 'uuid' }) upTo: string;
}
