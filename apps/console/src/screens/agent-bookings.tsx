import { useState } from 'preact/hooks';
import { get, type Page, query, send } from '../api';
import { Loaded, ProblemView, useAction, useResource, useSettings } from '../components';
import type { Booking, BookingStatus } from '../models';
import { addDays, resortToday } from '../time';
import { BookingDetail } from './booking-detail';
import { BookingList, replaced } from './booking-list';
import { emptyGuest, type GuestDraft, GuestsEditor, guestsBody } from './guests-editor';

/** Agents: the agency's own bookings; book, and open one to confirm, amend, keep or cancel it. */
export function AgentBookings() {
  const [status, setStatus] = useState<'' | BookingStatus>('');
  const [list, reload] = useResource(() => get<Page<Booking>>(`/v1/bookings${query({ status, limit: 100 })}`), [status]);
  const [open, setOpen] = useState<Booking | null>(null);
  const [bookings, setBookings] = useState<Booking[] | null>(null);
  const shown = bookings ?? list.data?.data ?? [];

  return (
    <>
      <NewBooking
        onBooked={(booking) => {
          setOpen(booking);
          setBookings(null);
          void reload();
        }}
      />
      <section aria-labelledby="own-bookings">
        <h2 id="own-bookings">Our bookings</h2>
        <label for="agent-status">Status</label>
        <select
          id="agent-status"
          value={status}
          onInput={(event) => {
            setBookings(null);
            setStatus(event.currentTarget.value as '' | BookingStatus);
          }}
        >
          <option value="">Any status</option>
          <option value="held">held</option>
          <option value="confirmed">confirmed</option>
          <option value="cancelled">cancelled</option>
        </select>
        <Loaded resource={list} what="Loading bookings…">
          {() => <BookingList bookings={shown} onOpen={setOpen} openId={open?.id} />}
        </Loaded>
      </section>
      {open ? (
        <BookingDetail
          key={open.id}
          booking={open}
          actions
          onChanged={(booking) => {
            setOpen(booking);
            setBookings(replaced(shown, booking));
          }}
        />
      ) : null}
    </>
  );
}

function NewBooking({ onBooked }: { onBooked: (booking: Booking) => void }) {
  const { timeZone } = useSettings();
  const [checkIn, setCheckIn] = useState(() => addDays(resortToday(timeZone), 7));
  const [checkOut, setCheckOut] = useState(() => addDays(resortToday(timeZone), 10));
  const [guests, setGuests] = useState<GuestDraft[]>([emptyGuest()]);
  const [hold, setHold] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(null);
    await action.run(async () => {
      // One key per submission: a retried click never books twice.
      const booking = await send<Booking>(
        'POST',
        '/v1/bookings',
        { checkIn, checkOut, guests: guestsBody(guests), hold },
        { 'idempotency-key': crypto.randomUUID() },
      );
      setDone(`Booked ${booking.reference} (${booking.status}).`);
      setGuests([emptyGuest()]);
      onBooked(booking);
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="new-booking">
      <h2 id="new-booking">New booking</h2>
      <label for="book-check-in">Check-in</label>
      <input id="book-check-in" type="date" required value={checkIn} onInput={(event) => setCheckIn(event.currentTarget.value)} />
      <label for="book-check-out">Check-out</label>
      <input id="book-check-out" type="date" required value={checkOut} onInput={(event) => setCheckOut(event.currentTarget.value)} />
      <GuestsEditor idPrefix="book" guests={guests} onChange={setGuests} />
      <label class="inline">
        <input type="checkbox" checked={hold} onChange={(event) => setHold(event.currentTarget.checked)} /> Hold only (confirm later)
      </label>
      <button type="submit" disabled={action.busy}>
        Book
      </button>
      {done ? <p role="status">{done}</p> : null}
      <ProblemView problem={action.problem} />
    </form>
  );
}
