import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsIn, IsOptional } from 'class-validator';
import { ApiCount, PageQueryDto } from '#libs/shared';
import {
  AttemptRow,
  DELIVERY_STATES,
  DeliveryRow,
  DeliveryState,
  DeliveryWithLastAttempt,
} from '../webhooks/webhook-deliveries.repository';

const DELIVERY_STATE_DESCRIPTION =
  '`pending`: waiting for its next attempt (while an attempt is in flight, `nextAttemptAt` is when its claim lapses); ' +
  '`delivered`: the webhook answered 2xx; `failed`: given up after the retry window; `not_applicable`: the agency had no webhook URL';

function toIso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

export class WebhookAttemptDto {
  @ApiCount({ example: 1, minimum: 1, description: '1 for the first attempt, 2 for the first retry…' }) attempt: number;
  @ApiProperty({ example: 'https://agency.example/hooks/kalma', format: 'uri' }) url: string;
  @ApiProperty({ format: 'date-time' }) attemptedAt: string;
  @ApiCount({ example: 42, description: 'how long the request took' }) durationMs: number;
  @ApiProperty({
    example: 503,
    nullable: true,
    type: 'integer',
    minimum: 100,
    maximum: 599,
    description: 'null when no HTTP response came back',
  })
  statusCode: number | null;
  @ApiProperty({
    example: 'HTTP 503',
    nullable: true,
    type: String,
    description: 'why the attempt failed: HTTP status, timeout, connection error, or a refused (internal) address',
  })
  error: string | null;
  @ApiProperty({ example: false }) succeeded: boolean;

  static from(row: AttemptRow): WebhookAttemptDto {
    return {
      attempt: row.attempt,
      url: row.url,
      attemptedAt: toIso(row.attemptedAt) as string,
      durationMs: row.durationMs,
      statusCode: row.statusCode,
      error: row.error,
      succeeded: row.succeeded,
    };
  }
}

export class WebhookDeliverySummaryDto {
  @ApiProperty({ format: 'uuid', description: 'the notification, also the `webhook-id` of every attempt' }) notificationId: string;
  @ApiProperty({ format: 'uuid' }) agencyId: string;
  @ApiProperty({ example: 'booking.cancelled' }) type: string;
  @ApiProperty({ format: 'date-time', description: 'when the notification was written' }) createdAt: string;
  @ApiProperty({ enum: DELIVERY_STATES, description: DELIVERY_STATE_DESCRIPTION }) state: DeliveryState;
  @ApiCount({ example: 3, description: 'attempts started so far' }) attemptCount: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) nextAttemptAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) deliveredAt: string | null;

  static from(row: DeliveryRow): WebhookDeliverySummaryDto {
    return {
      notificationId: row.notificationId,
      agencyId: row.agencyId,
      type: row.type,
      createdAt: toIso(row.createdAt) as string,
      state: row.state,
      attemptCount: row.attempts,
      nextAttemptAt: toIso(row.nextAttemptAt),
      deliveredAt: toIso(row.deliveredAt),
    };
  }
}

export class WebhookDeliveryDto extends WebhookDeliverySummaryDto {
  @ApiProperty({ type: [WebhookAttemptDto], description: 'every recorded attempt, oldest first' }) attempts: WebhookAttemptDto[];

  static withAttempts(row: DeliveryRow, attempts: AttemptRow[]): WebhookDeliveryDto {
    return { ...WebhookDeliverySummaryDto.from(row), attempts: attempts.map(WebhookAttemptDto.from) };
  }
}

export class AgencyWebhookDeliveryDto extends WebhookDeliverySummaryDto {
  @ApiProperty({ type: WebhookAttemptDto, nullable: true, description: 'the latest recorded attempt' })
  lastAttempt: WebhookAttemptDto | null;

  static fromRow(row: DeliveryWithLastAttempt): AgencyWebhookDeliveryDto {
    return { ...WebhookDeliverySummaryDto.from(row), lastAttempt: row.lastAttempt ? WebhookAttemptDto.from(row.lastAttempt) : null };
  }
}

export class AgencyWebhookDeliveryPageDto {
  @ApiProperty({ type: [AgencyWebhookDeliveryDto] }) data: AgencyWebhookDeliveryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class WebhookRetryResultDto {
  @ApiCount({
    example: 12,
    description:
      'pending and given-up (`failed`) deliveries made due now, each with a fresh retry window; deliveries in flight are not counted',
  })
  rescheduled: number;
}

export class WebhookDeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATES, description: 'only deliveries in this state' })
  @IsOptional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;
}
