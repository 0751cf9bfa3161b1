import { get } from '../api';
import { Empty, Loaded, useResource, useSettings } from '../components';
import type { AuditEvent } from '../models';
import { formatInstant } from '../time';

function actorOf(event: AuditEvent): string {
  if (event.actor.type === 'system') return 'system';
  return [event.actor.role ?? 'api key', event.actor.keyId ? `key ${event.actor.keyId.slice(0, 8)}` : null].filter(Boolean).join(', ');
}

function causeOf(event: AuditEvent): string {
  if (!event.cause || event.cause.type === 'request') return 'request';
  return event.cause.id ? `${event.cause.type.replace(/_/g, ' ')} ${event.cause.id.slice(0, 8)}` : event.cause.type.replace(/_/g, ' ');
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A booking's audit trail, oldest first (GET /v1/bookings/{id}/history). */
export function BookingHistory({ bookingId, reloadToken = 0 }: { bookingId: string; reloadToken?: number }) {
  const { timeZone } = useSettings();
  const [history] = useResource(() => get<{ data: AuditEvent[] }>(`/v1/bookings/${bookingId}/history`), [bookingId, reloadToken]);
  return (
    <section aria-labelledby={`history-${bookingId}`}>
      <h3 id={`history-${bookingId}`}>History</h3>
      <Loaded resource={history} what="Loading the history…">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>No recorded changes.</Empty>
          ) : (
            <ol class="history">
              {data.map((event) => (
                <li key={event.id}>
                  <strong>{event.action}</strong> <span class="muted">{formatInstant(event.at, timeZone)}</span> — by {actorOf(event)},
                  cause: {causeOf(event)}
                  {event.changes && Object.keys(event.changes).length ? (
                    <ul>
                      {Object.entries(event.changes).map(([field, change]) => (
                        <li key={field}>
                          {field}: {show(change.from)} → {show(change.to)}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </section>
  );
}
