import { useState } from 'preact/hooks';
import { get, type Page, query, send } from '../api';
import { Empty, Loaded, ProblemView, Status, useAction, useResource, useSettings } from '../components';
import type { Flight, Route } from '../models';
import { addDays, formatInstant, formatNumber, resortInstant, resortNowLocal, resortToday } from '../time';

/** Operations: routes (suspend one for a window) and flights with their seats (cancel one). */
export function Flights() {
  const { timeZone } = useSettings();
  const [routes] = useResource(() => get<Page<Route>>('/v1/routes?limit=200'), []);
  const [from, setFrom] = useState(() => resortToday(timeZone));
  const [to, setTo] = useState(() => addDays(resortToday(timeZone), 30));
  const [range, setRange] = useState({ from, to });
  const [flights, reloadFlights] = useResource(
    () => get<Page<Flight>>(`/v1/flights${query({ ...range, limit: 200 })}`),
    [range.from, range.to],
  );
  const [suspending, setSuspending] = useState<Route | null>(null);
  const [cancelling, setCancelling] = useState<Flight | null>(null);

  return (
    <>
      <section aria-labelledby="routes-heading">
        <h2 id="routes-heading">Routes</h2>
        <Loaded resource={routes} what="Loading routes…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty>No routes yet.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Route</th>
                    <th scope="col">Airports</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((route) => (
                    <tr key={route.id}>
                      <th scope="row">
                        {route.origin} → {route.destination}
                      </th>
                      <td>
                        {route.originName} → {route.destinationName}
                      </td>
                      <td>
                        <button
                          type="button"
                          class="secondary"
                          aria-label={`Suspend route ${route.origin} to ${route.destination}`}
                          onClick={() => setSuspending(route)}
                        >
                          Suspend
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
        {suspending ? (
          <SuspendRoute
            route={suspending}
            timeZone={timeZone}
            onDone={() => {
              setSuspending(null);
              void reloadFlights();
            }}
          />
        ) : null}
      </section>
      <section aria-labelledby="flights-heading">
        <h2 id="flights-heading">Flights</h2>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            setRange({ from, to });
          }}
        >
          <label for="flights-from">Departing from</label>
          <input id="flights-from" type="date" required value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
          <label for="flights-to">Departing before</label>
          <input id="flights-to" type="date" required value={to} onInput={(event) => setTo(event.currentTarget.value)} />
          <button type="submit">Show</button>
        </form>
        <Loaded resource={flights} what="Loading flights…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty>No flights depart in this range.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Flight</th>
                    <th scope="col">Route</th>
                    <th scope="col">Departs</th>
                    <th scope="col">Arrives</th>
                    <th scope="col">Seats</th>
                    <th scope="col">Reserved</th>
                    <th scope="col">Available</th>
                    <th scope="col">Status</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((flight) => (
                    <tr key={flight.id}>
                      <th scope="row">{flight.flightNumber}</th>
                      <td>
                        {flight.origin} → {flight.destination}
                      </td>
                      <td>{formatInstant(flight.departureAt, timeZone)}</td>
                      <td>{formatInstant(flight.arrivalAt, timeZone)}</td>
                      <td>{formatNumber(flight.seats)}</td>
                      <td>{formatNumber(flight.seatsReserved)}</td>
                      <td>{formatNumber(flight.seatsAvailable)}</td>
                      <td>
                        <Status value={flight.status} />
                      </td>
                      <td>
                        {flight.status === 'scheduled' ? (
                          <button
                            type="button"
                            class="secondary"
                            aria-label={`Cancel flight ${flight.flightNumber}`}
                            onClick={() => setCancelling(flight)}
                          >
                            Cancel flight
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
        {cancelling ? (
          <CancelFlight
            flight={cancelling}
            onDone={() => {
              setCancelling(null);
              void reloadFlights();
            }}
          />
        ) : null}
      </section>
    </>
  );
}

function SuspendRoute({ route, timeZone, onDone }: { route: Route; timeZone: string; onDone: () => void }) {
  const [from, setFrom] = useState(() => resortNowLocal(timeZone));
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <form
      class="panel"
      aria-labelledby="suspend-heading"
      onSubmit={async (event) => {
        event.preventDefault();
        const body = {
          from: resortInstant(from, timeZone),
          ...(until ? { until: resortInstant(until, timeZone) } : {}),
          reason: reason.trim(),
        };
        if (await action.run(() => send('POST', `/v1/routes/${route.id}/suspend`, body))) onDone();
      }}
    >
      <h3 id="suspend-heading">
        Suspend {route.origin} → {route.destination}
      </h3>
      <p>Its flights departing in the window are cancelled; bookings keep their stay and lose the flight, and their agencies are told.</p>
      <label for="suspend-from">From (resort time)</label>
      <input id="suspend-from" type="datetime-local" required value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
      <label for="suspend-until">Until (resort time, optional)</label>
      <input id="suspend-until" type="datetime-local" value={until} onInput={(event) => setUntil(event.currentTarget.value)} />
      <label for="suspend-reason">Reason</label>
      <input id="suspend-reason" required maxLength={500} value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
      <button type="submit" class="danger" disabled={action.busy}>
        Suspend route
      </button>
      <ProblemView problem={action.problem} />
    </form>
  );
}

function CancelFlight({ flight, onDone }: { flight: Flight; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <form
      class="panel"
      aria-labelledby="cancel-flight-heading"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await action.run(() => send('POST', `/v1/flights/${flight.id}/cancel`, { reason: reason.trim() }))) onDone();
      }}
    >
      <h3 id="cancel-flight-heading">Cancel flight {flight.flightNumber}</h3>
      <p>{formatNumber(flight.seatsReserved)} reserved seats are released; the bookings keep their stay and their agencies are told.</p>
      <label for="cancel-flight-reason">Reason</label>
      <input id="cancel-flight-reason" required maxLength={500} value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
      <button type="submit" class="danger" disabled={action.busy}>
        Yes, cancel flight {flight.flightNumber}
      </button>
      <ProblemView problem={action.problem} />
    </form>
  );
}
