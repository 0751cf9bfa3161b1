import { Injectable } from '@nestjs/common';
import { getAirportByIata } from 'airport-data-js';

/** What Kalma needs to know about an airport. */
export interface AirportInfo {
  iata: string;
  name: string;
  countryCode: string;
  timeZone: string;
}

/**
 * IATA airport codes, checked against the `airport-data-js` dataset (OurAirports-derived, shipped
 * inside the npm package: no network at run time).
 *
 * The library unpacks its data on first use, not at boot: that costs about half a second and some
 * tens of megabytes, and only creating a route needs it (responses use the names stored with the route).
 */
@Injectable()
export class AirportDirectory {
  /** The airport with this IATA code, or undefined if the dataset does not know it (or lists it as closed). */
  async find(iata: string): Promise<AirportInfo | undefined> {
    if (!/^[A-Z]{3}$/.test(iata)) return undefined;
    let matches: Awaited<ReturnType<typeof getAirportByIata>>;
    try {
      matches = await getAirportByIata(iata);
    } catch {
      // The library throws "No data found" for unknown codes.
      return undefined;
    }
    const airport = matches.find((candidate) => candidate.iata === iata && candidate.type !== 'closed');
    if (!airport) return undefined;
    return { iata: airport.iata, name: airport.airport, countryCode: airport.country_code, timeZone: airport.time };
  }
}
