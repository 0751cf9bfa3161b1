import { NightGrid } from './night-grid';

/** Agents: the availability calendar (the same nights operations see, read-only). */
export function Availability() {
  return (
    <>
      <p>Guests that can still be booked each night (the figure on each night); the colour shows how full it is.</p>
      <NightGrid label="Availability calendar" />
    </>
  );
}
