import { useState } from 'preact/hooks';
import { send } from '../api';
import { ProblemView, useAction } from '../components';
import type { Night } from '../models';
import { NightGrid, nightSummary } from './night-grid';

/** Operations: the heat map of nights, and setting one night's capacity. */
export function Occupancy() {
  const [chosen, setChosen] = useState<Night | null>(null);
  const [capacity, setCapacity] = useState('');
  const [reloadToken, setReloadToken] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);
  const action = useAction();

  const choose = (night: Night) => {
    setChosen(night);
    setCapacity(String(night.capacity));
    setSaved(null);
    action.clear();
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!chosen) return;
    const ok = await action.run(async () => {
      const night = await send<Night>('PUT', `/v1/capacity/${chosen.date}`, { capacity: Number(capacity) });
      setChosen(night);
      setSaved(`Capacity of ${night.date} set to ${night.capacity}.`);
    });
    if (ok) setReloadToken((token) => token + 1);
  };

  return (
    <>
      <p>Each night is coloured by reserved ÷ capacity; the bar at its foot is the held part. Choose a night to set its capacity.</p>
      <NightGrid label="Nights" onChoose={choose} chosen={chosen?.date} reloadToken={reloadToken} />
      {chosen ? (
        <form class="panel" onSubmit={submit} aria-labelledby="capacity-heading">
          <h2 id="capacity-heading">Capacity of {chosen.date}</h2>
          <p>{nightSummary(chosen)}</p>
          <label for="night-capacity">Capacity (guests)</label>
          <input
            id="night-capacity"
            type="number"
            min={0}
            max={1000000}
            required
            value={capacity}
            onInput={(event) => setCapacity(event.currentTarget.value)}
          />
          <button type="submit" disabled={action.busy}>
            Set capacity
          </button>
          {saved ? <p role="status">{saved}</p> : null}
          <ProblemView problem={action.problem} />
        </form>
      ) : null}
    </>
  );
}
