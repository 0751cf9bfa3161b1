import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperationsOnly } from '#libs/access';
import { AuditEventDto, AuditEventPageDto, AuditService, ListAuditEventsQueryDto } from '#libs/audit';
import { ApiProblems } from '#libs/shared';

/**
 * `GET /v1/audit-events`. Here rather than in libs/audit: the audit library is imported by
 * libs/access (agencies and keys are audited), so it cannot import access's guards back.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @OperationsOnly()
  @ApiOperation({
    summary: 'The audit trail, newest first (operations)',
    description:
      'Every change of state, with who made it (actor), why (cause: a request, or the restriction, hold expiry, party-decision deadline, ' +
      'flight cancellation, route suspension or retention that caused a system change), the changed fields ({from, to}) and the request id. ' +
      '`causeId` lists everything one restriction, flight or suspension did; `from` is included, `to` excluded. A restriction’s own ' +
      'enforcement_started / enforcement_completed events are found by `entityId`.',
  })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiProblems(400, 401, 403, 429)
  async list(@Query() query: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
    const page = await this.audit.list(
      {
        entityType: query.entityType,
        entityId: query.entityId,
        action: query.action,
        causeId: query.causeId,
        actorKeyId: query.actorKeyId,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      },
      query.limit ?? 50,
      query.cursor,
    );
    return { data: page.data.map((event) => AuditEventDto.from(event, 'operations')), nextCursor: page.nextCursor };
  }
}
