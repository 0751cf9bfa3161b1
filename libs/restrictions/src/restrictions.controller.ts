import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, OperationsOnly, Principal, uuidParam } from '#libs/access';
import { AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems, Clock, EmptyBody } from '#libs/shared';
import {
  CreateRestrictionDto,
  ListRestrictionsQueryDto,
  RestrictionDto,
  RestrictionPageDto,
  RestrictionPreviewDto,
} from './dto/restriction.dto';
import { RestrictionsService } from './restrictions.service';

@ApiTags('restrictions')
@ApiBearerAuth()
@Controller('v1/restrictions')
export class RestrictionsController {
  constructor(
    private readonly restrictions: RestrictionsService,
    private readonly clock: Clock,
  ) {}

  @Post()
  @OperationsOnly()
  @ApiOperation({
    summary: 'Apply a nationality restriction (operations)',
    description:
      'Covers a list of nationalities, or all foreigners (allForeign: true) minus `except`. From now on, bookings with a covered guest ' +
      'checking in within its window are refused (422 nationality_restricted). At effectiveFrom (at once if that is now or past) every ' +
      'live booking it affects is cancelled and its agency notified; watch `enforcement`.',
  })
  @ApiCreatedResponse({ type: RestrictionDto })
  @ApiProblems(400, 401, 403, 429)
  async create(
    @Body() body: CreateRestrictionDto,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<RestrictionDto> {
    return RestrictionDto.from(await this.restrictions.create(principal, body, origin), 'operations', this.clock.now());
  }

  @Post('preview')
  @HttpCode(200)
  @OperationsOnly()
  @ApiOperation({
    summary: 'Preview what a restriction would cancel (operations)',
    description:
      'Same body as creating one; nothing is changed. Counts the live bookings it would cancel now, their guests, and per agency.',
  })
  @ApiOkResponse({ type: RestrictionPreviewDto })
  @ApiProblems(400, 401, 403, 429)
  async preview(@Body() body: CreateRestrictionDto): Promise<RestrictionPreviewDto> {
    return RestrictionPreviewDto.from(await this.restrictions.preview(body));
  }

  @Get()
  @ApiOperation({ summary: 'List restrictions, newest first' })
  @ApiOkResponse({ type: RestrictionPageDto })
  @ApiProblems(400, 401, 429)
  async list(@Query() query: ListRestrictionsQueryDto, @CurrentPrincipal() principal: Principal): Promise<RestrictionPageDto> {
    const page = await this.restrictions.list({ status: query.status, nationality: query.nationality }, query.limit ?? 50, query.cursor);
    const now = this.clock.now();
    return { data: page.data.map((row) => RestrictionDto.from(row, principal.role, now)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a restriction with its enforcement progress' })
  @ApiOkResponse({ type: RestrictionDto })
  @ApiProblems(401, 404, 429)
  async get(@Param('id', uuidParam('Restriction')) id: string, @CurrentPrincipal() principal: Principal): Promise<RestrictionDto> {
    return RestrictionDto.from(await this.restrictions.get(id), principal.role, this.clock.now());
  }

  @Post(':id/lift')
  @HttpCode(200)
  @OperationsOnly()
  @ApiOperation({
    summary: 'Lift a restriction (operations)',
    description:
      'Bookings are accepted again at once. Lifted before it took effect, nothing is cancelled; after, cancelled bookings stay cancelled ' +
      'and an enforcement under way stops. A lifted or expired restriction is 409 invalid_state.',
  })
  @ApiOkResponse({ type: RestrictionDto })
  @ApiProblems(400, 401, 403, 404, 'invalid_state', 429)
  async lift(
    @Param('id', uuidParam('Restriction')) id: string,
    @EmptyBody() _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<RestrictionDto> {
    return RestrictionDto.from(await this.restrictions.lift(principal, id, origin), 'operations', this.clock.now());
  }
}
