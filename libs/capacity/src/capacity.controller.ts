import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { OperationsOnly } from '#libs/access';
import { AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems, isCalendarDate, ValidationFailed } from '#libs/shared';
import { CapacityService } from './capacity.service';
import { CalendarDto, CapacityRangeQueryDto, NightDto, SetCapacityDto } from './dto/capacity.dto';

@ApiTags('capacity')
@ApiBearerAuth()
@Controller('v1/capacity')
export class CapacityController {
  constructor(private readonly capacity: CapacityService) {}

  @Get()
  @ApiOperation({ summary: 'Nightly capacity calendar for [from, to)' })
  @ApiOkResponse({ type: CalendarDto })
  @ApiProblems(400, 401, 429)
  async calendar(@Query() query: CapacityRangeQueryDto): Promise<CalendarDto> {
    const nights = await this.capacity.calendar(query.from, query.to);
    return { nights: nights.map(NightDto.from) };
  }

  @Put(':date')
  @OperationsOnly()
  @ApiOperation({
    summary: "Set one night's capacity (operations)",
    description: 'Refused with capacity_below_reserved below what is already reserved.',
  })
  @ApiParam({ name: 'date', example: '2027-07-01', schema: { type: 'string', format: 'date' } })
  @ApiOkResponse({ type: NightDto })
  @ApiProblems(400, 401, 403, 'capacity_below_reserved', 429)
  async setCapacity(@Param('date') date: string, @Body() body: SetCapacityDto, @RequestOrigin() origin: AuditOrigin): Promise<NightDto> {
    if (!isCalendarDate(date)) throw ValidationFailed.field('date', 'must be a real date written YYYY-MM-DD');
    return NightDto.from(await this.capacity.setCapacity(date, body.capacity, origin));
  }
}
