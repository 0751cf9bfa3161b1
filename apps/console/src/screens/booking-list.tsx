import { Empty, Status } from '../components';
import type { Booking } from '../models';

/** Bookings as rows; "Open" shows one in full. */
export function BookingList({
  bookings,
  agencyName,
  onOpen,
  openId,
}: {
  bookings: Booking[];
  agencyName?: (id: string) => string;
  onOpen: (booking: Booking) => void;
  openId?: string;
}) {
  if (bookings.length === 0) return <Empty>No bookings match.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Reference</th>
          {agencyName ? <th scope="col">Agency</th> : null}
          <th scope="col">Status</th>
          <th scope="col">Check-in</th>
          <th scope="col">Check-out</th>
          <th scope="col">Guests</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {bookings.map((booking) => (
          <tr key={booking.id} data-reference={booking.reference} class={booking.id === openId ? 'open' : undefined}>
            <td>{booking.reference}</td>
            {agencyName ? <td>{agencyName(booking.agencyId)}</td> : null}
            <td>
              <Status value={booking.status} />
            </td>
            <td>{booking.checkIn}</td>
            <td>{booking.checkOut}</td>
            <td>{booking.guestCount}</td>
            <td>
              <button type="button" class="secondary" aria-label={`Open ${booking.reference}`} onClick={() => onOpen(booking)}>
                Open
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Replaces one booking of a list by its new state. */
export function replaced(bookings: Booking[], booking: Booking): Booking[] {
  return bookings.map((existing) => (existing.id === booking.id ? booking : existing));
}
