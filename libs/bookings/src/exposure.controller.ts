import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperationsOnly } from '#libs/access';
import { ApiProblems } from '#libs/shared';
import { ExposureDto, ExposureQueryDto } from './dto/exposure.dto';
import { ExposureService } from './exposure.service';

@ApiTags('capacity')
@ApiBearerAuth()
@OperationsOnly()
@Controller('v1/exposure')
export class ExposureController {
  constructor(private readonly exposure: ExposureService) {}

  @Get()
  @ApiOperation({
    summary: 'Live guests per night by nationality for [from, to) (operations)',
    description:
      'Held and confirmed bookings; at most 100 nights. `totals` are guest-nights by nationality, largest first: what a ban on each would take out.',
  })
  @ApiOkResponse({ type: ExposureDto })
  @ApiProblems(400, 401, 403, 429)
  async get(@Query() query: ExposureQueryDto): Promise<ExposureDto> {
    return this.exposure.exposure(query.from, query.to);
  }
}
