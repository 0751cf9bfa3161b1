import { useState } from 'preact/hooks';
import { call, send } from '../api';
import { ProblemView, Status, useAction, useSettings } from '../components';
import type { Booking } from '../models';
import { formatInstant } from '../time';
import { BookingHistory } from './booking-history';
import { type GuestDraft, GuestsEditor, guestsBody } from './guests-editor';

/** A booking's version as If-Match wants it: `"<version>"`. */
function ifMatchOf(booking: Booking): Record<string, string> {
  return booking.version !== undefined ? { 'if-match': `"${booking.version}"` } : {};
}

/**
 * One booking: its figures, guests, cancellation or pending decision, its history, and (for
 * agents) what may be done with it: confirm, amend, keep a reduced party, cancel.
 */
export function BookingDetail({
  booking,
  onChanged,
  actions,
}: {
  booking: Booking;
  onChanged: (booking: Booking) => void;
  actions: boolean;
}) {
  const { timeZone } = useSettings();
  const [amending, setAmending] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [historyToken, setHistoryToken] = useState(0);
  const action = useAction();
  const live = booking.status !== 'cancelled';

  const act = (path: string) =>
    action.run(async () => {
      const updated = await send<Booking>('POST', `/v1/bookings/${booking.id}/${path}`, undefined, ifMatchOf(booking));
      setConfirmCancel(false);
      onChanged(updated);
      setHistoryToken((token) => token + 1);
    });

  return (
    <article class="panel booking" aria-labelledby={`booking-${booking.id}`}>
      <h2 id={`booking-${booking.id}`}>
        Booking {booking.reference} <Status value={booking.status} />
      </h2>
      <dl class="figures">
        <dt>Stay</dt>
        <dd>
          {booking.checkIn} to {booking.checkOut} ({booking.nights} nights)
        </dd>
        <dt>Guests</dt>
        <dd>{booking.guestCount}</dd>
        {booking.holdExpiresAt ? (
          <>
            <dt>Hold expires</dt>
            <dd>{formatInstant(booking.holdExpiresAt, timeZone)}</dd>
          </>
        ) : null}
        {booking.cancellation ? (
          <>
            <dt>Cancelled</dt>
            <dd data-testid="cancellation">
              {booking.cancellation.reason.replace(/_/g, ' ')}, {formatInstant(booking.cancellation.at, timeZone)}
              {booking.cancellation.restrictionId ? ` (restriction ${booking.cancellation.restrictionId.slice(0, 8)})` : ''}
            </dd>
          </>
        ) : null}
        {booking.actionRequired ? (
          <>
            <dt>Decision needed</dt>
            <dd>
              Guests were removed by a restriction: keep the reduced party or cancel by{' '}
              {formatInstant(booking.actionRequired.deadline, timeZone)}.
            </dd>
          </>
        ) : null}
        {booking.version !== undefined ? (
          <>
            <dt>Version</dt>
            <dd>{booking.version}</dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>{formatInstant(booking.createdAt, timeZone)}</dd>
      </dl>
      <table>
        <caption>Party</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Nationality</th>
            <th scope="col">Date of birth</th>
          </tr>
        </thead>
        <tbody>
          {booking.guests.map((guest, index) => (
            <tr key={index}>
              <td>{guest.fullName ?? '(erased)'}</td>
              <td>{guest.nationality}</td>
              <td>{guest.dateOfBirth ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {actions && live ? (
        <div class="actions">
          {booking.status === 'held' ? (
            <button type="button" disabled={action.busy} onClick={() => act('confirm')}>
              Confirm
            </button>
          ) : null}
          {booking.actionRequired ? (
            <button type="button" disabled={action.busy} onClick={() => act('keep')}>
              Keep reduced party
            </button>
          ) : null}
          <button type="button" class="secondary" aria-expanded={amending} onClick={() => setAmending(!amending)}>
            Amend
          </button>
          {confirmCancel ? (
            <span class="confirm-inline" role="group" aria-label="Confirm the cancellation">
              <button type="button" class="danger" disabled={action.busy} onClick={() => act('cancel')}>
                Yes, cancel booking
              </button>
              <button type="button" class="secondary" onClick={() => setConfirmCancel(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirmCancel(true)}>
              Cancel booking
            </button>
          )}
        </div>
      ) : null}
      <ProblemView problem={action.problem} />
      {amending && live ? (
        <AmendForm
          booking={booking}
          onAmended={(updated) => {
            setAmending(false);
            onChanged(updated);
            setHistoryToken((token) => token + 1);
          }}
        />
      ) : null}
      <BookingHistory bookingId={booking.id} reloadToken={historyToken} />
    </article>
  );
}

function AmendForm({ booking, onAmended }: { booking: Booking; onAmended: (booking: Booking) => void }) {
  const [checkIn, setCheckIn] = useState(booking.checkIn);
  const [checkOut, setCheckOut] = useState(booking.checkOut);
  const [guests, setGuests] = useState<GuestDraft[]>(() =>
    booking.guests.map((guest) => ({
      fullName: guest.fullName ?? '',
      nationality: guest.nationality,
      dateOfBirth: guest.dateOfBirth ?? '',
    })),
  );
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    if (checkIn !== booking.checkIn) body.checkIn = checkIn;
    if (checkOut !== booking.checkOut) body.checkOut = checkOut;
    const newGuests = guestsBody(guests);
    if (
      JSON.stringify(newGuests) !==
      JSON.stringify(
        guestsBody(
          booking.guests.map((g) => ({ fullName: g.fullName ?? '', nationality: g.nationality, dateOfBirth: g.dateOfBirth ?? '' })),
        ),
      )
    )
      body.guests = newGuests;
    await action.run(async () => {
      const answer = await call<Booking>(`/v1/bookings/${booking.id}`, {
        method: 'PATCH',
        body,
        headers: { ...ifMatchOf(booking), 'idempotency-key': crypto.randomUUID() },
      });
      onAmended(answer.body);
    });
  };
  return (
    <form class="amend" onSubmit={submit} aria-labelledby={`amend-${booking.id}`}>
      <h3 id={`amend-${booking.id}`}>Amend {booking.reference}</h3>
      <label for="amend-check-in">Check-in</label>
      <input id="amend-check-in" type="date" required value={checkIn} onInput={(event) => setCheckIn(event.currentTarget.value)} />
      <label for="amend-check-out">Check-out</label>
      <input id="amend-check-out" type="date" required value={checkOut} onInput={(event) => setCheckOut(event.currentTarget.value)} />
      <GuestsEditor idPrefix="amend" guests={guests} onChange={setGuests} />
      <button type="submit" disabled={action.busy}>
        Save amendment
      </button>
      <ProblemView problem={action.problem} />
    </form>
  );
}
