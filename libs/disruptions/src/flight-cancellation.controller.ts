import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, OperationsOnly, Principal, uuidParam } from '#libs/access';
import { AuditOrigin, RequestOrigin } from '#libs/audit';
import { CancelFlightDto, FlightDto, RouteSuspensionDto, SuspendRouteDto } from '#libs/flights';
import { ApiProblems } from '#libs/shared';
import { FlightCancellationService } from './flight-cancellation.service';

/** `POST /v1/flights/{id}/cancel`, beside the other flight routes of libs/flights. */
@ApiTags('flights')
@ApiBearerAuth()
@Controller('v1/flights')
export class FlightCancellationController {
  constructor(private readonly cancellation: FlightCancellationService) {}

  @Post(':id/cancel')
  @HttpCode(200)
  @OperationsOnly()
  @ApiOperation({
    // The id it had when FlightsController served it: generated clients name their calls after it.
    operationId: 'FlightsController_cancel',
    summary: 'Cancel a flight (operations)',
    description:
      'Its bookings keep their stay but lose this segment: seats released, the flight id cleared, and the agency notified (booking.flight_cancelled, with alternatives). ' +
      'That happens in the background; `disruption` shows the progress.',
  })
  @ApiOkResponse({ type: FlightDto })
  @ApiProblems(400, 401, 403, 404, 'invalid_state', 429)
  async cancel(
    @Param('id', uuidParam('Flight')) id: string,
    @Body() body: CancelFlightDto,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<FlightDto> {
    return FlightDto.from(await this.cancellation.cancelFlight(id, body.reason, origin));
  }
}

/** `POST /v1/routes/{id}/suspend`, beside the other route routes of libs/flights. */
@ApiTags('flights')
@ApiBearerAuth()
@Controller('v1/routes')
export class RouteSuspensionController {
  constructor(private readonly cancellation: FlightCancellationService) {}

  @Post(':id/suspend')
  @OperationsOnly()
  @ApiOperation({
    // The id it had when RoutesController served it: generated clients name their calls after it.
    operationId: 'RoutesController_suspend',
    summary: 'Suspend a route for a window (operations)',
    description:
      'Cancels its scheduled flights departing in [from, until) and refuses new flights there. Affected bookings keep their stay, lose the segment, ' +
      'and their agencies are notified in the background (see each flight’s `disruption`).',
  })
  @ApiCreatedResponse({ type: RouteSuspensionDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async suspend(
    @Param('id', uuidParam('Route')) id: string,
    @Body() body: SuspendRouteDto,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<RouteSuspensionDto> {
    const { suspension, cancelled } = await this.cancellation.suspendRoute(id, body, principal.keyId, origin);
    return RouteSuspensionDto.from(suspension, cancelled);
  }
}
