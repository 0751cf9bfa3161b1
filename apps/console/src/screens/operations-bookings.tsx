import { useState } from 'preact/hooks';
import { get, type Page, query } from '../api';
import { ProblemView, useAction, useResource } from '../components';
import type { Agency, Booking, BookingStatus } from '../models';
import { BookingDetail } from './booking-detail';
import { BookingList, replaced } from './booking-list';

interface Search {
  reference: string;
  agencyId: string;
  status: '' | BookingStatus;
  checkInFrom: string;
  checkInTo: string;
}

const NO_SEARCH: Search = { reference: '', agencyId: '', status: '', checkInFrom: '', checkInTo: '' };

/** Operations: search every agency's bookings; a booking with its history. */
export function OperationsBookings() {
  const [form, setForm] = useState<Search>(NO_SEARCH);
  const [results, setResults] = useState<{ data: Booking[]; nextCursor: string | null; search: Search } | null>(null);
  const [open, setOpen] = useState<Booking | null>(null);
  const [agencies] = useResource(() => get<Page<Agency>>('/v1/agencies?limit=200'), []);
  const action = useAction();
  const agencyName = (id: string) => agencies.data?.data.find((agency) => agency.id === id)?.name ?? id.slice(0, 8);

  const load = (search: Search, cursor?: string) =>
    action.run(async () => {
      const page = await get<Page<Booking>>(
        `/v1/bookings${query({ reference: search.reference.trim().toUpperCase(), agencyId: search.agencyId, status: search.status, checkInFrom: search.checkInFrom, checkInTo: search.checkInTo, limit: 50, cursor })}`,
      );
      setResults((previous) => ({
        data: cursor && previous ? [...previous.data, ...page.data] : page.data,
        nextCursor: page.nextCursor,
        search,
      }));
      if (!cursor) setOpen(page.data.length === 1 ? page.data[0] : null);
    });
  const field = (name: keyof Search) => ({
    value: form[name],
    onInput: (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setForm({ ...form, [name]: event.currentTarget.value }),
  });

  return (
    <>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          void load(form);
        }}
      >
        <label for="search-reference">Reference</label>
        <input id="search-reference" autocomplete="off" placeholder="KAL-…" {...field('reference')} />
        <label for="search-agency">Agency</label>
        <select id="search-agency" {...field('agencyId')}>
          <option value="">All agencies</option>
          {(agencies.data?.data ?? []).map((agency) => (
            <option key={agency.id} value={agency.id}>
              {agency.name}
            </option>
          ))}
        </select>
        <label for="search-status">Status</label>
        <select id="search-status" {...field('status')}>
          <option value="">Any status</option>
          <option value="held">held</option>
          <option value="confirmed">confirmed</option>
          <option value="cancelled">cancelled</option>
        </select>
        <label for="search-from">Check-in from</label>
        <input id="search-from" type="date" {...field('checkInFrom')} />
        <label for="search-to">Check-in before</label>
        <input id="search-to" type="date" {...field('checkInTo')} />
        <button type="submit" disabled={action.busy}>
          Search
        </button>
      </form>
      <ProblemView problem={action.problem} />
      {results ? (
        <section aria-label="Results">
          <BookingList bookings={results.data} agencyName={agencyName} onOpen={setOpen} openId={open?.id} />
          {results.nextCursor ? (
            <button
              type="button"
              class="secondary"
              disabled={action.busy}
              onClick={() => load(results.search, results.nextCursor ?? undefined)}
            >
              More bookings
            </button>
          ) : null}
        </section>
      ) : (
        <p class="empty">Search by reference, agency, status or check-in dates.</p>
      )}
      {open ? (
        <BookingDetail
          key={open.id}
          booking={open}
          actions={false}
          onChanged={(booking) => {
            setOpen(booking);
            setResults((previous) => (previous ? { ...previous, data: replaced(previous.data, booking) } : previous));
          }}
        />
      ) : null}
      {agencies.state === 'failed' ? <ProblemView problem={agencies.problem} /> : null}
    </>
  );
}
