import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperationsOnly, uuidParam } from '#libs/access';
import { AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems } from '#libs/shared';
import { CreateFlightDto, FlightDto, FlightPageDto, ListFlightsQueryDto, UpdateFlightDto } from './dto/flight.dto';
import { FlightsService } from './flights.service';

@ApiTags('flights')
@ApiBearerAuth()
@Controller('v1/flights')
export class FlightsController {
  constructor(private readonly flights: FlightsService) {}

  @Post()
  @OperationsOnly()
  @ApiOperation({
    summary: 'Schedule a flight on a route (operations)',
    description: 'Refused with invalid_state when the flight number already departs at that instant or the route is suspended then.',
  })
  @ApiCreatedResponse({ type: FlightDto })
  @ApiProblems(400, 401, 403, 404, 'invalid_state', 429)
  async create(@Body() body: CreateFlightDto, @RequestOrigin() origin: AuditOrigin): Promise<FlightDto> {
    return FlightDto.from(await this.flights.createFlight(body, origin));
  }

  @Get()
  @ApiOperation({
    summary: 'List flights by departure, earliest first',
    description:
      '`from` (included) and `to` (excluded) are resort-local departure dates. Each flight shows its seats, reserved and available.',
  })
  @ApiOkResponse({ type: FlightPageDto })
  @ApiProblems(400, 401, 429)
  async list(@Query() query: ListFlightsQueryDto): Promise<FlightPageDto> {
    const { limit, cursor, ...filter } = query;
    const page = await this.flights.listFlights(filter, limit ?? 50, cursor);
    return { data: page.data.map(FlightDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a flight, with the progress of its disruption if it was cancelled' })
  @ApiOkResponse({ type: FlightDto })
  @ApiProblems(401, 404, 429)
  async get(@Param('id', uuidParam('Flight')) id: string): Promise<FlightDto> {
    return FlightDto.from(await this.flights.getFlight(id));
  }

  @Patch(':id')
  @OperationsOnly()
  @ApiOperation({
    summary: "Change a flight's seat count (operations)",
    description: 'Never below the seats already reserved: 409 capacity_below_reserved.',
  })
  @ApiOkResponse({ type: FlightDto })
  @ApiProblems(400, 401, 403, 404, 'capacity_below_reserved', 429)
  async update(
    @Param('id', uuidParam('Flight')) id: string,
    @Body() body: UpdateFlightDto,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<FlightDto> {
    return FlightDto.from(await this.flights.updateFlight(id, body, origin));
  }
}
