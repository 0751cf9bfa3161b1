import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Principal, uuidParam } from '#libs/access';
import { AuditEventDto, AuditHistoryDto, AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems, EmptyBody, ValidationFailed } from '#libs/shared';
import { BookingsService } from './bookings.service';
import { BookingDto, BookingPageDto, ListBookingsQueryDto } from './dto/booking.dto';
import { CreateBookingDto, ReplaceBookingFlightsDto } from './dto/create-booking.dto';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

@ApiTags('bookings')
@ApiBearerAuth()
@Controller('v1/bookings')
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @Post()
  @ApiOperation({
    summary: 'Book a stay (agent; operations with agencyId)',
    description:
      'Reserves every night of [checkIn, checkOut) for every guest — and the flight seats if flights are given — or nothing. ' +
      '`hold: true` keeps the capacity until holdExpiresAt; confirm before then. An agency may hold at most MAX_HELD_GUESTS_PER_AGENCY guests in live holds ' +
      '(409 hold_limit_reached with `limit`, `held`, `requested`). The same Idempotency-Key with the same body returns the first response for 24 h.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'printable ASCII, at most 200 characters; strongly recommended' })
  @ApiCreatedResponse({ type: BookingDto })
  @ApiProblems(400, 401, 403, 409, 422, 429)
  async create(
    @Body() body: CreateBookingDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw ValidationFailed.field('Idempotency-Key', 'must be 1–200 printable ASCII characters');
    }
    const result = await this.bookings.create(principal, body, idempotencyKey, origin);
    response.status(result.status);
    if (result.status >= 400) response.type('application/problem+json');
    return result.body;
  }

  @Get()
  @ApiOperation({ summary: 'List bookings, newest first (own agency; operations: all)' })
  @ApiOkResponse({ type: BookingPageDto })
  @ApiProblems(400, 401, 403, 429)
  async list(@Query() query: ListBookingsQueryDto, @CurrentPrincipal() principal: Principal): Promise<BookingPageDto> {
    const page = await this.bookings.list(
      principal,
      { status: query.status, checkInFrom: query.checkInFrom, checkInTo: query.checkInTo, agencyId: query.agencyId },
      query.limit ?? 50,
      query.cursor,
    );
    return { data: page.data.map(BookingDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: "Get a booking (another agency's booking is 404)" })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(401, 404, 429)
  async get(@Param('id', uuidParam('Booking')) id: string, @CurrentPrincipal() principal: Principal): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.get(principal, id));
  }

  @Get(':id/history')
  @ApiOperation({
    summary: "A booking's history: its audit events, oldest first",
    description:
      'Who changed the booking, when, why (actor, cause: a request, a restriction, hold expiry…) and which fields ({from, to}). ' +
      "Guests appear only as counts and nationalities. Another agency's booking is 404.",
  })
  @ApiOkResponse({ type: AuditHistoryDto })
  @ApiProblems(401, 404, 429)
  async history(@Param('id', uuidParam('Booking')) id: string, @CurrentPrincipal() principal: Principal): Promise<AuditHistoryDto> {
    const events = await this.bookings.history(principal, id);
    return { data: events.map((event) => AuditEventDto.from(event, principal.role)) };
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a held booking before its hold expires' })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(400, 401, 404, 409, 429)
  async confirm(
    @Param('id', uuidParam('Booking')) id: string,
    @EmptyBody() _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.confirm(principal, id, origin));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a booking; its nights and seats are released' })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(400, 401, 404, 409, 429)
  async cancel(
    @Param('id', uuidParam('Booking')) id: string,
    @EmptyBody() _body: unknown,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.cancel(principal, id, origin));
  }

  @Post(':id/keep')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Keep a party a restriction reduced',
    description:
      "When a restriction removed a booking's covered guests and its agency's party policy is ask, the booking has actionRequired: " +
      'keep the reduced party here (actionRequired becomes null) or cancel it, before the deadline; an unanswered booking is cancelled at the deadline. ' +
      'A booking with no decision pending, or whose deadline has passed, is invalid_state.',
  })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(401, 404, 409, 429)
  async keep(@Param('id', uuidParam('Booking')) id: string, @CurrentPrincipal() principal: Principal, @RequestOrigin() origin: AuditOrigin): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.keep(principal, id, origin));
  }

  @Put(':id/flights')
  @ApiOperation({
    summary: "Replace a booking's flights atomically",
    description:
      'The body is the whole answer: a segment absent or null is removed and its seats released; an unchanged flight keeps its seats. ' +
      'New seats are taken and old ones released in one transaction, or nothing changes (seats_exhausted, flight_unavailable, flight_mismatch). ' +
      'An id that names no flight is flight_mismatch (reason unknown_flight).',
  })
  @ApiOkResponse({ type: BookingDto })
  @ApiProblems(400, 401, 403, 404, 409, 422, 429)
  async replaceFlights(
    @Param('id', uuidParam('Booking')) id: string,
    @Body() body: ReplaceBookingFlightsDto,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.replaceFlights(principal, id, body, origin));
  }
}
