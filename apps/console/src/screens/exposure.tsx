import { useState } from 'preact/hooks';
import { get, query } from '../api';
import { Empty, Loaded, useResource, useSettings } from '../components';
import type { Exposure as ExposureData } from '../models';
import { addDays, countryLabel, formatNumber, resortToday } from '../time';

/** Nationalities with a column of their own; the rest are summed as "Others". */
const TOP_NATIONALITIES = 8;

/** Operations: guests per night by nationality, the largest nationalities first. */
export function Exposure() {
  const { timeZone } = useSettings();
  const [from, setFrom] = useState(() => resortToday(timeZone));
  const [to, setTo] = useState(() => addDays(resortToday(timeZone), 14));
  const [range, setRange] = useState({ from, to });
  const [exposure] = useResource(() => get<ExposureData>(`/v1/exposure${query(range)}`), [range.from, range.to]);

  return (
    <>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setRange({ from, to });
        }}
      >
        <label for="exposure-from">From</label>
        <input id="exposure-from" type="date" required value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
        <label for="exposure-to">To (excluded)</label>
        <input id="exposure-to" type="date" required value={to} onInput={(event) => setTo(event.currentTarget.value)} />
        <button type="submit">Show</button>
      </form>
      <Loaded resource={exposure} what="Loading exposure…">
        {(data) => {
          const ranked = Object.entries(data.totals).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
          if (ranked.length === 0)
            return (
              <Empty>
                No guests are booked between {range.from} and {range.to}.
              </Empty>
            );
          const columns = ranked.slice(0, TOP_NATIONALITIES).map(([code]) => code);
          const others = (counts: Record<string, number>) =>
            Object.entries(counts).reduce((sum, [code, n]) => (columns.includes(code) ? sum : sum + n), 0);
          return (
            <table class="exposure">
              <caption>Live guests per night by nationality: what a ban on each would take out</caption>
              <thead>
                <tr>
                  <th scope="col">Night</th>
                  <th scope="col">All guests</th>
                  {columns.map((code) => (
                    <th scope="col" key={code}>
                      {countryLabel(code)}
                    </th>
                  ))}
                  {ranked.length > columns.length ? <th scope="col">Others</th> : null}
                </tr>
              </thead>
              <tbody>
                {data.nights.map((night) => (
                  <tr key={night.date}>
                    <th scope="row">{night.date}</th>
                    <td>{formatNumber(night.guests)}</td>
                    {columns.map((code) => (
                      <td key={code}>{formatNumber(night.byNationality[code] ?? 0)}</td>
                    ))}
                    {ranked.length > columns.length ? <td>{formatNumber(others(night.byNationality))}</td> : null}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Guest-nights</th>
                  <td>{formatNumber(ranked.reduce((sum, [, n]) => sum + n, 0))}</td>
                  {columns.map((code) => (
                    <td key={code}>{formatNumber(data.totals[code])}</td>
                  ))}
                  {ranked.length > columns.length ? <td>{formatNumber(others(data.totals))}</td> : null}
                </tr>
              </tfoot>
            </table>
          );
        }}
      </Loaded>
    </>
  );
}
