import { useRef, useState, useEffect } from 'preact/hooks';
import { get, type Page, send } from '../api';
import { Empty, Loaded, ProblemView, ProgressBar, Status, useAction, usePolling, useResource, useSettings } from '../components';
import type { Agency, Restriction, RestrictionBody, RestrictionPreview } from '../models';
import { countryLabel, formatInstant, formatNumber, resortInstant, resortNowLocal } from '../time';

/** How often the list is read again while an enforcement runs or is about to. */
const POLL_MS = 1_000;

export function coverageOf(restriction: Pick<Restriction, 'allForeign' | 'nationalities' | 'except'>): string {
  if (restriction.allForeign)
    return restriction.except.length ? `All foreigners except ${restriction.except.join(', ')}` : 'All foreigners';
  return (restriction.nationalities ?? []).join(', ');
}

/** 100 once completed (even with nothing to do); until then the share of affected bookings handled. */
export function enforcementPercent({ enforcement }: Restriction): number {
  if (enforcement.state === 'completed') return 100;
  if (enforcement.affectedBookings === 0) return 0;
  // Never 100 before the worker says completed.
  return Math.min(99, Math.floor(((enforcement.cancelledBookings + enforcement.reducedBookings) / enforcement.affectedBookings) * 100));
}

function isLive(restriction: Restriction): boolean {
  return restriction.status === 'scheduled' || restriction.status === 'active';
}

/** Operations: the restrictions with their enforcement progress, the ban form with its preview, Lift. */
export function Restrictions() {
  const { timeZone } = useSettings();
  const [list, reload] = useResource(() => get<Page<Restriction>>('/v1/restrictions?limit=100'), []);
  const restrictions = list.data?.data ?? [];
  // Poll while an enforcement is pending-but-due, or running.
  const moving = restrictions.some(
    (r) => r.enforcement.state === 'running' || (r.status === 'active' && r.enforcement.state === 'pending'),
  );
  usePolling(moving, POLL_MS, reload);
  const lift = useAction();

  return (
    <>
      <section aria-labelledby="restrictions-list">
        <h2 id="restrictions-list">Applied restrictions</h2>
        <Loaded resource={list} what="Loading restrictions…">
          {(page) =>
            page.data.length === 0 ? (
              <Empty>No restrictions yet.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Covers</th>
                    <th scope="col">Check-ins covered</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Status</th>
                    <th scope="col">Enforcement</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((restriction) => (
                    <tr key={restriction.id} data-restriction-id={restriction.id}>
                      <td>{coverageOf(restriction)}</td>
                      <td>
                        {restriction.window.from} to {restriction.window.to ?? 'further notice'}
                        <div class="muted">from {formatInstant(restriction.effectiveFrom, timeZone)}</div>
                      </td>
                      <td>{restriction.reason}</td>
                      <td>
                        <Status value={restriction.status} />
                      </td>
                      <td>
                        <ProgressBar
                          label={`Enforcement of the restriction on ${coverageOf(restriction)}`}
                          percent={enforcementPercent(restriction)}
                        />
                        <div class="muted">
                          {restriction.enforcement.state}: {formatNumber(restriction.enforcement.cancelledBookings)} cancelled,{' '}
                          {formatNumber(restriction.enforcement.reducedBookings)} reduced of{' '}
                          {formatNumber(restriction.enforcement.affectedBookings)}
                        </div>
                      </td>
                      <td>
                        {isLive(restriction) ? (
                          <button
                            type="button"
                            class="secondary"
                            disabled={lift.busy}
                            aria-label={`Lift the restriction on ${coverageOf(restriction)}`}
                            onClick={() =>
                              lift.run(async () => {
                                await send('POST', `/v1/restrictions/${restriction.id}/lift`);
                                await reload();
                              })
                            }
                          >
                            Lift
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
        <ProblemView problem={lift.problem} />
      </section>
      <RestrictionForm timeZone={timeZone} onApplied={reload} />
    </>
  );
}

function codesOf(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
}

function RestrictionForm({ timeZone, onApplied }: { timeZone: string; onApplied: () => Promise<void> }) {
  const [kind, setKind] = useState<'nationalities' | 'allForeign'>('nationalities');
  const [codes, setCodes] = useState('');
  const [from, setFrom] = useState(() => resortNowLocal(timeZone));
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<{ body: RestrictionBody; result: RestrictionPreview } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [applied, setApplied] = useState<string | null>(null);
  const [agencies] = useResource(() => get<Page<Agency>>('/v1/agencies?limit=200'), []);
  const action = useAction();
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  // Any change of the form makes the preview stale: it must be previewed again before Apply.
  const edit = (apply: () => void) => {
    apply();
    setPreview(null);
    setConfirming(false);
    setApplied(null);
  };

  const body = (): RestrictionBody => ({
    ...(kind === 'allForeign' ? { allForeign: true, except: codesOf(codes) } : { nationalities: codesOf(codes) }),
    effectiveFrom: resortInstant(from, timeZone),
    ...(until ? { effectiveUntil: resortInstant(until, timeZone) } : {}),
    reason: reason.trim(),
  });

  const showPreview = async (event: Event) => {
    event.preventDefault();
    const request = body();
    await action.run(async () =>
      setPreview({ body: request, result: await send<RestrictionPreview>('POST', '/v1/restrictions/preview', request) }),
    );
  };

  const apply = async () => {
    if (!preview) return;
    await action.run(async () => {
      const created = await send<Restriction>('POST', '/v1/restrictions', preview.body);
      setApplied(`Restriction on ${coverageOf(created)} applied (${created.status}).`);
      setPreview(null);
      setConfirming(false);
      await onApplied();
    });
  };

  const agencyName = (id: string) => agencies.data?.data.find((agency) => agency.id === id)?.name ?? id;

  return (
    <section aria-labelledby="new-restriction" class="panel">
      <h2 id="new-restriction">New restriction</h2>
      <form onSubmit={showPreview}>
        <fieldset>
          <legend>Who it covers</legend>
          <label class="inline">
            <input
              type="radio"
              name="kind"
              value="nationalities"
              checked={kind === 'nationalities'}
              onChange={() => edit(() => setKind('nationalities'))}
            />{' '}
            Nationalities
          </label>
          <label class="inline">
            <input
              type="radio"
              name="kind"
              value="allForeign"
              checked={kind === 'allForeign'}
              onChange={() => edit(() => setKind('allForeign'))}
            />{' '}
            All foreigners except…
          </label>
          <label for="restriction-codes">
            {kind === 'allForeign' ? 'Except (country codes, optional)' : 'Nationalities (country codes, e.g. US, GB)'}
          </label>
          <input
            id="restriction-codes"
            value={codes}
            required={kind === 'nationalities'}
            autocomplete="off"
            onInput={(event) => edit(() => setCodes(event.currentTarget.value))}
          />
        </fieldset>
        <label for="restriction-from">From (resort time)</label>
        <input
          id="restriction-from"
          type="datetime-local"
          required
          value={from}
          onInput={(event) => edit(() => setFrom(event.currentTarget.value))}
        />
        <label for="restriction-until">Until (resort time, optional)</label>
        <input
          id="restriction-until"
          type="datetime-local"
          value={until}
          onInput={(event) => edit(() => setUntil(event.currentTarget.value))}
        />
        <label for="restriction-reason">Reason</label>
        <input
          id="restriction-reason"
          required
          maxLength={1000}
          value={reason}
          onInput={(event) => edit(() => setReason(event.currentTarget.value))}
        />
        <button type="submit" disabled={action.busy}>
          Preview
        </button>
      </form>
      {applied ? <p role="status">{applied}</p> : null}
      {preview ? (
        <div class="preview" aria-labelledby="preview-heading">
          <h3 id="preview-heading">Preview: what it would do now</h3>
          <dl class="figures">
            <dt>Bookings to cancel</dt>
            <dd data-testid="preview-to-cancel">{formatNumber(preview.result.bookingsToCancel)}</dd>
            <dt>Bookings to reduce</dt>
            <dd>{formatNumber(preview.result.bookingsToReduce)}</dd>
            <dt>Guests in those bookings</dt>
            <dd>{formatNumber(preview.result.affectedGuests)}</dd>
            <dt>Guests covered</dt>
            <dd>{formatNumber(preview.result.coveredGuests)}</dd>
            <dt>Guests to remove from reduced bookings</dt>
            <dd>{formatNumber(preview.result.guestsToRemove)}</dd>
          </dl>
          {preview.result.byAgency.length === 0 ? (
            <Empty>No agency has a booking it would cancel or reduce.</Empty>
          ) : (
            <table>
              <caption>Per agency</caption>
              <thead>
                <tr>
                  <th scope="col">Agency</th>
                  <th scope="col">To cancel</th>
                  <th scope="col">To reduce</th>
                  <th scope="col">Guests</th>
                  <th scope="col">Guests to remove</th>
                </tr>
              </thead>
              <tbody>
                {preview.result.byAgency.map((impact) => (
                  <tr key={impact.agencyId}>
                    <td>{agencyName(impact.agencyId)}</td>
                    <td>{formatNumber(impact.bookingsToCancel)}</td>
                    <td>{formatNumber(impact.bookingsToReduce)}</td>
                    <td>{formatNumber(impact.affectedGuests)}</td>
                    <td>{formatNumber(impact.guestsToRemove)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {confirming ? (
            <div class="confirm" role="alertdialog" aria-labelledby="confirm-heading" aria-describedby="confirm-detail">
              <h3 id="confirm-heading">Apply this restriction?</h3>
              <p id="confirm-detail">
                It covers {kind === 'allForeign' ? 'all foreigners' : codesOf(codes).map(countryLabel).join(', ')} and will cancel{' '}
                {formatNumber(preview.result.bookingsToCancel)} and reduce {formatNumber(preview.result.bookingsToReduce)} bookings when it
                takes effect. This cannot be undone.
              </p>
              <button type="button" class="danger" ref={confirmButton} disabled={action.busy} onClick={apply}>
                Yes, apply
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                Go back
              </button>
            </div>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming(true)}>
              Apply
            </button>
          )}
        </div>
      ) : null}
      <ProblemView problem={action.problem} />
    </section>
  );
}
