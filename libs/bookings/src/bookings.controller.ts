import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiHeaderOptions } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, LimitedPerAgency, OutsideAgencyWriteLimit, Principal, uuidParam } from '#libs/access';
import { AuditEventDto, AuditHistoryDto, AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems, EmptyBody, ValidationFailed } from '#libs/shared';
import { BookingAmendments } from './booking-amendment.service';
import { BookingHttpAnswers, sendAnswer } from './booking-http-answers';
import { BookingsService } from './bookings.service';
import { AmendBookingDto } from './dto/amend-booking.dto';
import { parseIfMatch } from './version-precondition';
import { BookingDto, BookingPageDto, ListBookingsQueryDto } from './dto/booking.dto';
import { CreateBookingDto, ReplaceBookingFlightsDto } from './dto/create-booking.dto';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const IDEMPOTENCY_KEY_HEADER: ApiHeaderOptions = {
  name: 'Idempotency-Key',
  required: false,
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
};

const IF_MATCH: ApiHeaderOptions = {
  name: 'If-Match',
  required: false,
  description:
    'the booking\'s ETag as last read, e.g. "3" (or a comma-separated list, or *): if the booking is no longer at that version, 412 version_mismatch and nothing changes. ' +
    "Decided under the booking's row lock. Anything else is 400 validation_failed.",
};
const ETAG_HEADER = {
  ETag: {
    description: 'the booking\'s version in double quotes, e.g. "3": send it back as If-Match',
    schema: { type: 'string', pattern: '^"[1-9][0-9]*"$', example: '"3"' },
  },
};

function validatedIdempotencyKey(idempotencyKey: string | undefined): string | undefined {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw ValidationFailed.field('Idempotency-Key', 'must be 1–200 printable ASCII characters');
  }
  return idempotencyKey;
}

@ApiTags('bookings')
@ApiBearerAuth()
@Controller('v1/bookings')
export class BookingsController {
  constructor(
    private readonly bookings: BookingsService,
    private readonly amendments: BookingAmendments,
    private readonly answers: BookingHttpAnswers,
  ) {}

  @Post()
  @OutsideAgencyWriteLimit()
  @ApiOperation({
    summary: 'Book a stay (agent; operations with agencyId)',
    description:
      'Reserves every night of [checkIn, checkOut) for every guest — and the flight seats if flights are given — or nothing. ' +
      '`hold: true` keeps the capacity until holdExpiresAt; confirm before then. An agency may hold at most MAX_HELD_GUESTS_PER_AGENCY guests in live holds ' +
      '(409 hold_limit_reached with `limit`, `held`, `requested`). The same Idempotency-Key with the same body returns the first response for 24 h.',
  })
  @ApiHeader({ ...IDEMPOTENCY_KEY_HEADER, description: 'printable ASCII, at most 200 characters; strongly recommended' })
  @ApiCreatedResponse({ type: BookingDto, headers: ETAG_HEADER })
  @ApiProblems(
    400,
    401,
    403,
    404,
    'capacity_exhausted',
    'seats_exhausted',
    'hold_limit_reached',
    'flight_unavailable',
    'idempotency_key_in_flight',
    422,
    429,
  )
  async create(
    @Body() body: CreateBookingDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    const outcome = await this.bookings.create(principal, body, validatedIdempotencyKey(idempotencyKey), origin);
    switch (outcome.kind) {
      case 'created':
        return sendAnswer(response, this.answers.created(outcome.booking));
      case 'refused':
        return sendAnswer(response, this.answers.createRefused(outcome.error));
      case 'replayed':
        return sendAnswer(response, outcome.answer);
    }
  }

  @Get()
  @ApiOperation({ summary: 'List bookings, newest first (own agency; operations: all)' })
  @ApiOkResponse({ type: BookingPageDto })
  @ApiProblems(400, 401, 403, 429)
  async list(@Query() query: ListBookingsQueryDto, @CurrentPrincipal() principal: Principal): Promise<BookingPageDto> {
    const page = await this.bookings.list(
      principal,
      {
        status: query.status,
        checkInFrom: query.checkInFrom,
        checkInTo: query.checkInTo,
        agencyId: query.agencyId,
        reference: query.reference,
      },
      query.limit ?? 50,
      query.cursor,
    );
    return { data: page.data.map(BookingDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: "Get a booking (another agency's booking is 404)" })
  @ApiOkResponse({ type: BookingDto, headers: ETAG_HEADER })
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
  @LimitedPerAgency()
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a held booking before its hold expires' })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: BookingDto, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 404, 'invalid_state', 'version_mismatch', 429)
  async confirm(
    @Param('id', uuidParam('Booking')) id: string,
    @EmptyBody() _body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.confirm(principal, id, parseIfMatch(ifMatch), origin));
  }

  @Post(':id/cancel')
  @LimitedPerAgency()
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a booking; its nights and seats are released' })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: BookingDto, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 404, 'invalid_state', 'version_mismatch', 429)
  async cancel(
    @Param('id', uuidParam('Booking')) id: string,
    @EmptyBody() _body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.cancel(principal, id, parseIfMatch(ifMatch), origin));
  }

  @Post(':id/keep')
  @LimitedPerAgency()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Keep a party a restriction reduced',
    description:
      "When a restriction removed a booking's covered guests and its agency's party policy is ask, the booking has actionRequired: " +
      'keep the reduced party here (actionRequired becomes null) or cancel it, before the deadline; an unanswered booking is cancelled at the deadline. ' +
      'A booking with no decision pending, or whose deadline has passed, is invalid_state.',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: BookingDto, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 404, 'invalid_state', 'version_mismatch', 429)
  async keep(
    @Param('id', uuidParam('Booking')) id: string,
    @EmptyBody() _body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.keep(principal, id, parseIfMatch(ifMatch), origin));
  }

  @Put(':id/flights')
  @LimitedPerAgency()
  @ApiOperation({
    summary: "Replace a booking's flights atomically",
    description:
      'The body is the whole answer: a segment absent or null is removed and its seats released; an unchanged flight keeps its seats. ' +
      'New seats are taken and old ones released in one transaction, or nothing changes (seats_exhausted, flight_unavailable, flight_mismatch). ' +
      'An id that names no flight is flight_mismatch (reason unknown_flight).',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: BookingDto, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 403, 404, 'seats_exhausted', 'flight_unavailable', 'invalid_state', 'flight_mismatch', 'version_mismatch', 429)
  async replaceFlights(
    @Param('id', uuidParam('Booking')) id: string,
    @Body() body: ReplaceBookingFlightsDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<BookingDto> {
    return BookingDto.from(await this.bookings.replaceFlights(principal, id, body, parseIfMatch(ifMatch), origin));
  }

  @Patch(':id')
  @LimitedPerAgency()
  @ApiOperation({
    summary: 'Amend a held or confirmed booking: dates, party, flights, all or nothing',
    description:
      'Changes any of checkIn, checkOut, guests (the whole new party), outboundFlightId, returnFlightId; absent fields stay, a flight id set to null removes that segment ' +
      '(a kept flight must still fit the amended dates: 422 flight_mismatch). The amended booking obeys every rule of a new one (400 validation_failed; 422 nationality_restricted ' +
      "for a restriction scheduled or active on the new check-in covering any guest of the new party). Capacity and seats are decided as if the booking's own old reservation " +
      'were already released, so a shrink or a one-night shift works on a full night (409 capacity_exhausted / seats_exhausted as for a new booking; a held party that grows ' +
      'obeys MAX_HELD_GUESTS_PER_AGENCY, 409 hold_limit_reached). A held booking stays held with the same holdExpiresAt. A pending decision (actionRequired) is answered by ' +
      'the amendment, as by keep, and cleared; past its deadline the booking cannot be amended (409 invalid_state). A cancelled or expired booking is 409 invalid_state; an empty body ' +
      'or one that changes nothing is 400 validation_failed. A refused amendment changes nothing (booking, version, nights, seats). An amendment by an operations key notifies the ' +
      'agency (booking.amended: bookingId, reference, version, changes {field: {from, to}}, guests as counts and nationalities only). The same Idempotency-Key with the same body ' +
      'returns the first answer (status and body) for 24 h; with another body 422 idempotency_key_reused. Keys of PATCH live apart from those of POST /v1/bookings and of other bookings.',
  })
  @ApiHeader(IF_MATCH)
  @ApiHeader({
    ...IDEMPOTENCY_KEY_HEADER,
    description: 'printable ASCII, at most 200 characters; a retry with the same key and body gets the first answer',
  })
  @ApiOkResponse({ type: BookingDto, headers: ETAG_HEADER })
  @ApiProblems(
    400,
    401,
    403,
    404,
    'capacity_exhausted',
    'seats_exhausted',
    'hold_limit_reached',
    'invalid_state',
    'flight_unavailable',
    'idempotency_key_in_flight',
    'version_mismatch',
    422,
    429,
  )
  async amend(
    @Param('id', uuidParam('Booking')) id: string,
    @Body() body: AmendBookingDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @RequestOrigin() origin: AuditOrigin,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<unknown> {
    const precondition = parseIfMatch(ifMatch);
    const outcome = await this.amendments.amend(principal, id, body, {
      precondition,
      idempotencyKey: validatedIdempotencyKey(idempotencyKey),
      origin,
    });
    switch (outcome.kind) {
      case 'amended':
        return sendAnswer(response, this.answers.amended(outcome.booking));
      case 'refused':
        return sendAnswer(response, this.answers.amendmentRefused(id, outcome.error));
      case 'replayed':
        return sendAnswer(response, outcome.answer);
    }
  }
}
