import { useState } from 'preact/hooks';
import { get, type Page, query, send } from '../api';
import { Empty, Loaded, ProblemView, useAction, usePolling, useResource, useSettings } from '../components';
import type { Notification } from '../models';
import { formatInstant } from '../time';

/** How often the inbox is read again while it is on screen. */
const POLL_MS = 2_000;

function summaryOf(notification: Notification): string {
  const data = notification.data;
  if (notification.type === 'booking.guests_removed' || notification.type === 'booking.action_required') {
    return `${data.reference ?? ''}: ${String(data.guestCount ?? '?')} guests left`;
  }
  return String(data.reference ?? data.bookingId ?? '');
}

/** Notifications per page (oldest first, as the API pages them). */
const PAGE_SIZE = 100;

/** Agents: the agency's notifications, oldest first; acknowledging one acknowledges every older one too. */
export function Inbox() {
  const { timeZone } = useSettings();
  const [unacknowledgedOnly, setUnacknowledgedOnly] = useState(true);
  const [pages, setPages] = useState(1);
  // The first `pages` pages, read again on every poll (new notifications arrive at the end).
  const [inbox, reload] = useResource(async () => {
    let all: Notification[] = [];
    let cursor: string | null | undefined;
    for (let page = 0; page < pages; page++) {
      const next = await get<Page<Notification>>(
        `/v1/notifications${query({ limit: PAGE_SIZE, unacknowledged: unacknowledgedOnly || undefined, cursor })}`,
      );
      all = [...all, ...next.data];
      cursor = next.nextCursor;
      if (!cursor) break;
    }
    return { notifications: all, more: Boolean(cursor) };
  }, [unacknowledgedOnly, pages]);
  usePolling(true, POLL_MS, reload);
  const action = useAction();
  const acknowledge = (upTo: string) =>
    action.run(async () => {
      await send('POST', '/v1/notifications/ack', { upTo });
      await reload();
    });

  return (
    <>
      <label class="inline">
        <input
          type="checkbox"
          checked={unacknowledgedOnly}
          onChange={(event) => {
            setPages(1);
            setUnacknowledgedOnly(event.currentTarget.checked);
          }}
        />{' '}
        Unacknowledged only
      </label>
      <ProblemView problem={action.problem} />
      <Loaded resource={inbox} what="Loading the inbox…">
        {({ notifications, more }) => {
          const pending = notifications.filter((n) => !n.acknowledgedAt);
          if (notifications.length === 0)
            return <Empty>{unacknowledgedOnly ? 'Everything is acknowledged.' : 'The inbox is empty.'}</Empty>;
          return (
            <>
              <p role="status">
                {pending.length === 0 ? 'Everything shown is acknowledged.' : `${pending.length}${more ? '+' : ''} unacknowledged`}
              </p>
              {pending.length ? (
                <button type="button" disabled={action.busy} onClick={() => acknowledge(pending[pending.length - 1].id)}>
                  Acknowledge all shown
                </button>
              ) : null}
              <table>
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Event</th>
                    <th scope="col">Booking</th>
                    <th scope="col">Acknowledged</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {notifications.map((notification) => (
                    <tr key={notification.id} data-notification-type={notification.type}>
                      <td>{formatInstant(notification.createdAt, timeZone)}</td>
                      <td>{notification.type}</td>
                      <td>{summaryOf(notification)}</td>
                      <td>{notification.acknowledgedAt ? formatInstant(notification.acknowledgedAt, timeZone) : 'no'}</td>
                      <td>
                        {notification.acknowledgedAt ? null : (
                          <button
                            type="button"
                            class="secondary"
                            disabled={action.busy}
                            aria-label={`Acknowledge ${notification.type} ${summaryOf(notification)} and older`}
                            onClick={() => acknowledge(notification.id)}
                          >
                            Acknowledge
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {more ? (
                <button type="button" class="secondary" onClick={() => setPages(pages + 1)}>
                  More notifications
                </button>
              ) : null}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
