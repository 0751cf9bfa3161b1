import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, toProblem } from '#libs/shared';
import { BookingRow } from './booking-row';
import { BookingDto } from './dto/booking.dto';
import { IdempotentAnswers, StoredAnswer } from './idempotent-answers';

/**
 * The HTTP answers of `POST /v1/bookings` and `PATCH /v1/bookings/{id}`: the booking as its DTO,
 * or the refusal as the problem document the filter would send (`toProblem`, with the request's
 * path as `instance`). The controller sends them; the admission and amendment transactions store
 * them under the request's Idempotency-Key (as `IdempotentAnswers`).
 */
@Injectable()
export class BookingHttpAnswers extends IdempotentAnswers {
  created(booking: BookingRow): StoredAnswer {
    return { status: 201, body: BookingDto.from(booking) };
  }

  createRefused(error: DomainError): StoredAnswer {
    return { status: error.status, body: toProblem(error, '/v1/bookings') };
  }

  amended(booking: BookingRow): StoredAnswer {
    return { status: 200, body: BookingDto.from(booking) };
  }

  amendmentRefused(bookingId: string, error: DomainError): StoredAnswer {
    return { status: error.status, body: toProblem(error, `/v1/bookings/${bookingId}`) };
  }
}

/** Sends a stored or freshly made answer: its status, and a problem document's media type. */
export function sendAnswer(response: FastifyReply, answer: StoredAnswer): unknown {
  response.status(answer.status);
  if (answer.status >= 400) response.type('application/problem+json');
  return answer.body;
}
