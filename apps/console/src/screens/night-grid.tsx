import { useState } from 'preact/hooks';
import { get } from '../api';
import { Loaded, useResource, useSettings } from '../components';
import type { Night } from '../models';
import { addDays, formatNumber, resortToday, weekdayOf } from '../time';

/** Nights on one page of the heat map: nine weeks. */
export const NIGHTS_PER_PAGE = 63;

/** The colour band of reserved ÷ capacity (dark text on all but the full band: contrast ≥ 4.5). */
export function occupancyBand(night: Night): number {
  if (night.capacity === 0 || night.reserved >= night.capacity) return 5;
  const ratio = night.reserved / night.capacity;
  return ratio < 0.25 ? 0 : ratio < 0.5 ? 1 : ratio < 0.75 ? 2 : ratio < 0.9 ? 3 : 4;
}

export const BANDS = ['under 25 %', '25–50 %', '50–75 %', '75–90 %', '90–99 %', 'full'];

export function nightSummary(night: Night): string {
  const percent = night.capacity > 0 ? Math.round((night.reserved / night.capacity) * 100) : 100;
  return `${weekdayOf(night.date)} ${night.date}: ${formatNumber(night.reserved)} of ${formatNumber(night.capacity)} reserved (${percent} %), ${formatNumber(night.held)} held, ${formatNumber(night.available)} available`;
}

/**
 * A page of nights from the capacity calendar, coloured by reserved ÷ capacity with the held
 * part drawn apart; a night's figures show on hover and on keyboard focus. `onChoose` (Enter,
 * Space or a click on a night) lets a screen act on one night.
 */
export function NightGrid({
  onChoose,
  chosen,
  label,
  reloadToken = 0,
}: {
  onChoose?: (night: Night) => void;
  chosen?: string;
  label: string;
  reloadToken?: number;
}) {
  const { timeZone } = useSettings();
  const [start, setStart] = useState(() => resortToday(timeZone));
  const [pointed, setPointed] = useState<Night | null>(null);
  const [calendar] = useResource(
    () => get<{ nights: Night[] }>(`/v1/capacity?from=${start}&to=${addDays(start, NIGHTS_PER_PAGE)}`),
    [start, reloadToken],
  );
  const end = addDays(start, NIGHTS_PER_PAGE - 1);
  return (
    <section class="night-grid" aria-label={label}>
      <div class="pager">
        <button type="button" class="secondary" onClick={() => setStart(addDays(start, -NIGHTS_PER_PAGE))}>
          Previous nights
        </button>
        <span aria-live="polite">
          {start} to {end}
        </span>
        <button type="button" class="secondary" onClick={() => setStart(addDays(start, NIGHTS_PER_PAGE))}>
          Next nights
        </button>
      </div>
      <Loaded resource={calendar} what="Loading the calendar…">
        {({ nights }) => (
          <>
            <ol class="nights">
              {nights.map((night) => (
                <li key={night.date}>
                  <button
                    type="button"
                    class={`night band-${occupancyBand(night)}${chosen === night.date ? ' chosen' : ''}`}
                    aria-label={nightSummary(night)}
                    aria-pressed={onChoose ? chosen === night.date : undefined}
                    data-date={night.date}
                    onMouseEnter={() => setPointed(night)}
                    onFocus={() => setPointed(night)}
                    onClick={() => onChoose?.(night)}
                  >
                    <span class="night-date">{night.date.slice(5)}</span>
                    <span class="night-figure">{formatNumber(night.available)}</span>
                    <span
                      class="night-held"
                      style={{ width: `${night.capacity > 0 ? Math.min(100, (night.held / night.capacity) * 100) : 0}%` }}
                    />
                  </button>
                </li>
              ))}
            </ol>
            <p class="night-details" aria-live="polite" data-testid="night-details">
              {pointed ? nightSummary(pointed) : 'Point at or focus a night to see its figures.'}
            </p>
            <ul class="legend" aria-label="Colours">
              {BANDS.map((band, index) => (
                <li key={band}>
                  <span class={`swatch band-${index}`} aria-hidden="true" /> {band} reserved
                </li>
              ))}
              <li>
                <span class="swatch held" aria-hidden="true" /> held part (bar)
              </li>
            </ul>
          </>
        )}
      </Loaded>
    </section>
  );
}
