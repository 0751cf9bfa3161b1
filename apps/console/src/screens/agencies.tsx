import { useState } from 'preact/hooks';
import { get, type Page, query, send } from '../api';
import { Empty, Loaded, ProblemView, useAction, usePolling, useResource, useSettings } from '../components';
import type { Agency, PartyPolicy, WebhookDelivery } from '../models';
import { formatInstant } from '../time';

const POLICIES: { value: PartyPolicy; label: string }[] = [
  { value: 'cancel_booking', label: 'Cancel the booking' },
  { value: 'remove_covered_guests', label: 'Remove covered guests' },
  { value: 'ask', label: 'Remove covered guests and ask' },
];

/** The deliveries counted per state: one page each (200, the API's largest); beyond it "200+". */
const COUNTED = 200;

/** How often the webhook health is read again while the screen is open. */
const HEALTH_POLL_MS = 5_000;

interface Health {
  counts: Record<'delivered' | 'pending' | 'failed', string>;
  lastFailure: { at: string; why: string } | null;
}

async function healthOf(agencyId: string): Promise<Health> {
  const states = ['delivered', 'pending', 'failed'] as const;
  const pages = await Promise.all(
    states.map((state) => get<Page<WebhookDelivery>>(`/v1/agencies/${agencyId}/webhook-deliveries${query({ state, limit: COUNTED })}`)),
  );
  const counts = Object.fromEntries(
    states.map((state, index) => [state, `${pages[index].data.length}${pages[index].nextCursor ? '+' : ''}`]),
  ) as Health['counts'];
  const failures = pages
    .flatMap((page) => page.data)
    .map((delivery) => delivery.lastAttempt)
    .filter((attempt): attempt is NonNullable<WebhookDelivery['lastAttempt']> => attempt !== null && !attempt.succeeded)
    .sort((a, b) => b.attemptedAt.localeCompare(a.attemptedAt));
  const last = failures[0];
  return {
    counts,
    lastFailure: last ? { at: last.attemptedAt, why: last.error ?? (last.statusCode ? `HTTP ${last.statusCode}` : 'no response') } : null,
  };
}

/** Operations: each agency's party policy and webhook health, with Retry undelivered. */
export function Agencies() {
  const [agencies, reload] = useResource(() => get<Page<Agency>>('/v1/agencies?limit=200'), []);
  return (
    <Loaded resource={agencies} what="Loading agencies…">
      {(page) =>
        page.data.length === 0 ? (
          <Empty>No agencies yet.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Agency</th>
                <th scope="col">Party policy</th>
                <th scope="col">Webhook</th>
                <th scope="col">Delivered</th>
                <th scope="col">Pending</th>
                <th scope="col">Failed</th>
                <th scope="col">Last failure</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((agency) => (
                <AgencyRow key={agency.id} agency={agency} onChanged={reload} />
              ))}
            </tbody>
          </table>
        )
      }
    </Loaded>
  );
}

function AgencyRow({ agency, onChanged }: { agency: Agency; onChanged: () => Promise<void> }) {
  const { timeZone } = useSettings();
  const [token, setToken] = useState(0);
  const [health, reloadHealth] = useResource(() => healthOf(agency.id), [agency.id, token]);
  usePolling(true, HEALTH_POLL_MS, reloadHealth);
  const [policy, setPolicy] = useState<PartyPolicy>(agency.partyPolicy);
  const [message, setMessage] = useState<string | null>(null);
  const action = useAction();
  const count = (state: keyof Health['counts']) => (health.data ? health.data.counts[state] : health.state === 'failed' ? '?' : '…');

  return (
    <tr data-agency-id={agency.id}>
      <th scope="row">{agency.name}</th>
      <td>
        <label class="visually-hidden" for={`policy-${agency.id}`}>
          Party policy of {agency.name}
        </label>
        <select id={`policy-${agency.id}`} value={policy} onInput={(event) => setPolicy(event.currentTarget.value as PartyPolicy)}>
          {POLICIES.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
        <button
          type="button"
          class="secondary"
          disabled={action.busy || policy === agency.partyPolicy}
          aria-label={`Save the party policy of ${agency.name}`}
          onClick={() =>
            action.run(async () => {
              await send('PATCH', `/v1/agencies/${agency.id}`, { partyPolicy: policy });
              setMessage('Policy saved.');
              await onChanged();
            })
          }
        >
          Save
        </button>
      </td>
      <td>{agency.webhookUrl ?? <span class="muted">none (inbox only)</span>}</td>
      <td class="delivery-count">{count('delivered')}</td>
      <td class="delivery-count">{count('pending')}</td>
      <td class="delivery-count">{count('failed')}</td>
      <td class="last-failure">
        {health.data?.lastFailure ? (
          <>
            {health.data.lastFailure.why}
            <div class="muted">{formatInstant(health.data.lastFailure.at, timeZone)}</div>
          </>
        ) : health.state === 'failed' ? (
          <ProblemView problem={health.problem} />
        ) : (
          '—'
        )}
      </td>
      <td>
        <button
          type="button"
          class="secondary"
          disabled={action.busy}
          aria-label={`Retry undelivered webhooks of ${agency.name}`}
          onClick={() =>
            action.run(async () => {
              const result = await send<{ rescheduled: number }>('POST', `/v1/agencies/${agency.id}/webhook-deliveries/retry`);
              setMessage(`${result.rescheduled} deliveries rescheduled.`);
              setToken((value) => value + 1);
            })
          }
        >
          Retry undelivered
        </button>
        {message ? <p role="status">{message}</p> : null}
        <ProblemView problem={action.problem} />
      </td>
    </tr>
  );
}
