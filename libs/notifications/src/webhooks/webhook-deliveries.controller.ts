import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperationsOnly, uuidParam } from '#libs/access';
import { ApiProblems, EmptyBody } from '#libs/shared';
import {
  AgencyWebhookDeliveryDto,
  AgencyWebhookDeliveryPageDto,
  WebhookDeliveryDto,
  WebhookDeliveryQueryDto,
  WebhookRetryResultDto,
} from '../dto/webhook-delivery.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

@ApiTags('webhook deliveries')
@ApiBearerAuth()
@OperationsOnly()
@Controller('v1')
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get('notifications/:id/deliveries')
  @ApiOperation({
    summary: "A notification's webhook delivery and every attempt (operations)",
    description: 'Attempts are retried with exponential backoff for at least 24 h; each records its time, HTTP status, error and duration.',
  })
  @ApiOkResponse({ type: WebhookDeliveryDto })
  @ApiProblems(401, 403, 404, 429)
  async deliveryOf(@Param('id', uuidParam('Notification')) id: string): Promise<WebhookDeliveryDto> {
    const { delivery, attempts } = await this.deliveries.deliveryOf(id);
    return WebhookDeliveryDto.withAttempts(delivery, attempts);
  }

  @Get('agencies/:id/webhook-deliveries')
  @ApiOperation({ summary: "An agency's webhook deliveries, newest first, with each one's latest attempt (operations)" })
  @ApiOkResponse({ type: AgencyWebhookDeliveryPageDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async listForAgency(
    @Param('id', uuidParam('Agency')) id: string,
    @Query() query: WebhookDeliveryQueryDto,
  ): Promise<AgencyWebhookDeliveryPageDto> {
    const page = await this.deliveries.listForAgency(id, { state: query.state, cursor: query.cursor, limit: query.limit ?? 50 });
    return { data: page.data.map(AgencyWebhookDeliveryDto.fromRow), nextCursor: page.nextCursor };
  }

  @Post('agencies/:id/webhook-deliveries/retry')
  @HttpCode(200)
  @ApiOperation({
    summary: "Retry an agency's undelivered webhooks now (operations)",
    description:
      'Once the endpoint works again: its `pending` and `failed` (given-up) deliveries become due at once (the next dispatch round, about a second), ' +
      'each with a fresh retry window, so one that fails again is retried on the whole schedule and then given up again. ' +
      'A delivery whose attempt is in flight is left to that attempt. Every retry carries the same `webhook-id`.',
  })
  @ApiOkResponse({ type: WebhookRetryResultDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async retryUndelivered(@Param('id', uuidParam('Agency')) id: string, @EmptyBody() _body: unknown): Promise<WebhookRetryResultDto> {
    return { rescheduled: await this.deliveries.retryUndelivered(id) };
  }
}
