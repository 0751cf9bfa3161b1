import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentsOnly, CurrentPrincipal, LimitedPerAgency, Principal } from '#libs/access';
import { ApiProblems } from '#libs/shared';
import { AcknowledgedDto, AcknowledgeDto, InboxQueryDto, NotificationDto, NotificationPageDto } from './dto/notification.dto';
import { NotificationsService } from './notifications.service';

@ApiTags('notifications')
@ApiBearerAuth()
@AgentsOnly()
@Controller('v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({ summary: "The agency's inbox, oldest first (agent)" })
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiProblems(400, 401, 403, 429)
  async inbox(@Query() query: InboxQueryDto, @CurrentPrincipal() principal: Principal): Promise<NotificationPageDto> {
    const page = await this.notifications.inbox(principal.agencyId as string, {
      cursor: query.cursor,
      limit: query.limit ?? 50,
      unacknowledgedOnly: query.unacknowledged ?? false,
    });
    return { data: page.data.map(NotificationDto.from), nextCursor: page.nextCursor };
  }

  @Post('ack')
  @LimitedPerAgency()
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge a notification and every older one (agent)' })
  @ApiOkResponse({ type: AcknowledgedDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async acknowledge(@Body() body: AcknowledgeDto, @CurrentPrincipal() principal: Principal): Promise<AcknowledgedDto> {
    return this.notifications.acknowledgeUpTo(principal.agencyId as string, body.upTo);
  }
}
