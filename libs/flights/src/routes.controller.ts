import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperationsOnly, uuidParam } from '#libs/access';
import { AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems, PageQueryDto } from '#libs/shared';
import { CreateRouteDto, RouteDto, RoutePageDto, RouteSuspensionDto, RouteSuspensionPageDto } from './dto/route.dto';
import { FlightsService } from './flights.service';

@ApiTags('flights')
@ApiBearerAuth()
@Controller('v1/routes')
export class RoutesController {
  constructor(private readonly flights: FlightsService) {}

  @Post()
  @OperationsOnly()
  @ApiOperation({
    summary: 'Open a route between two airports (operations)',
    description:
      'Both codes must be known IATA airports and one of them the resort airport. One route per direction: a second is invalid_state.',
  })
  @ApiCreatedResponse({ type: RouteDto })
  @ApiProblems(400, 401, 403, 'invalid_state', 429)
  async create(@Body() body: CreateRouteDto, @RequestOrigin() origin: AuditOrigin): Promise<RouteDto> {
    return RouteDto.from(await this.flights.createRoute(body, origin));
  }

  @Get()
  @ApiOperation({ summary: 'List routes, by origin then destination (IATA codes, alphabetical)' })
  @ApiOkResponse({ type: RoutePageDto })
  @ApiProblems(400, 401, 429)
  async list(@Query() query: PageQueryDto): Promise<RoutePageDto> {
    const page = await this.flights.listRoutes(query.limit ?? 50, query.cursor);
    return { data: page.data.map(RouteDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a route' })
  @ApiOkResponse({ type: RouteDto })
  @ApiProblems(401, 404, 429)
  async get(@Param('id', uuidParam('Route')) id: string): Promise<RouteDto> {
    return RouteDto.from(await this.flights.getRoute(id));
  }

  @Get(':id/suspensions')
  @ApiOperation({ summary: "A route's suspensions, by start (then id), each with the flights it cancelled" })
  @ApiOkResponse({ type: RouteSuspensionPageDto })
  @ApiProblems(400, 401, 404, 429)
  async suspensions(@Param('id', uuidParam('Route')) id: string, @Query() query: PageQueryDto): Promise<RouteSuspensionPageDto> {
    const page = await this.flights.listSuspensions(id, query.limit ?? 50, query.cursor);
    return {
      nextCursor: page.nextCursor,
      data: page.data.map((suspension) =>
        RouteSuspensionDto.from(
          suspension,
          suspension.cancelledFlightIds.map((flightId) => ({ id: flightId })),
        ),
      ),
    };
  }
}
