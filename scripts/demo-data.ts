import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Demo data for `npm start`, created through the public HTTP API (so it exercises what a real
 * client would) once per data directory, and remembered in `<dataDir>/demo.json`.
 */

export interface DemoAgency {
  id: string;
  name: string;
  agentKeyId: string;
  agentKey: string;
}

export interface DemoData {
  seededAt: string;
  agencies: DemoAgency[];
  /** Unset until seedDemoFlights has succeeded; the next start tries again. */
  flightsSeededAt?: string;
}

export const DEMO_AGENCY_NAMES = ['Vostok Travel', 'Juche Tours'];
const DEMO_FILE = 'demo.json';
const OPERATIONS_KEY_FILE = 'operations-key';
const REQUEST_TIMEOUT_MILLISECONDS = 10_000;

/** The demo operations key, generated on the first run in the API's own key format. */
export async function loadOrCreateOperationsKey(dataDir: string): Promise<string> {
  const file = path.join(dataDir, OPERATIONS_KEY_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing) return existing;
  } catch {
    // First run.
  }
  const key = `kalma_ops_${randomBytes(32).toString('base64url')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export async function readDemoData(dataDir: string): Promise<DemoData | undefined> {
  try {
    const data = JSON.parse(await readFile(path.join(dataDir, DEMO_FILE), 'utf8')) as DemoData;
    return Array.isArray(data.agencies) && data.agencies.length > 0 ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the demo data, seeding it first unless this data directory already has it and the API
 * still accepts its keys (a database reset or another DATABASE_URL would make them stale).
 */
export async function ensureDemoData(options: {
  baseUrl: string;
  operationsKey: string;
  dataDir: string;
  log: (message: string) => void;
}): Promise<DemoData> {
  const { baseUrl, operationsKey, dataDir, log } = options;
  const existing = await readDemoData(dataDir);
  if (existing) {
    const check = await request(baseUrl, existing.agencies[0].agentKey, 'GET', '/v1/bookings?limit=1');
    if (check.status !== 401) return existing.flightsSeededAt ? existing : seedFlightsOnce(existing, options);
    log(`the API no longer knows the keys in ${DEMO_FILE} (new database?): seeding demo data again`);
  }

  const agencies: DemoAgency[] = [];
  for (const name of DEMO_AGENCY_NAMES) {
    const agency = await callApi<{ id: string }>(baseUrl, operationsKey, 'POST', '/v1/agencies', { name });
    const apiKey = await callApi<{ id: string; key: string }>(baseUrl, operationsKey, 'POST', `/v1/agencies/${agency.id}/api-keys`, {
      label: 'demo agent',
      role: 'agent',
    });
    agencies.push({ id: agency.id, name, agentKeyId: apiKey.id, agentKey: apiKey.key });
    log(`created demo agency "${name}" with an agent key`);
  }
  // Remembered before the flights, so that a failure there cannot make the next start create the
  // agencies a second time.
  const data: DemoData = { seededAt: new Date().toISOString(), agencies };
  await writeDemoData(dataDir, data);
  return seedFlightsOnce(data, options);
}

/** Seeds the demo flights and records that it did, so that later starts skip them. */
async function seedFlightsOnce(
  data: DemoData,
  options: { baseUrl: string; operationsKey: string; dataDir: string; log: (message: string) => void },
): Promise<DemoData> {
  await seedDemoFlights(options.baseUrl, options.operationsKey);
  options.log('created the demo routes and flights');
  const seeded: DemoData = { ...data, flightsSeededAt: new Date().toISOString() };
  await writeDemoData(options.dataDir, seeded);
  return seeded;
}

/** Written whole and renamed into place; readable by its owner only (it holds API keys). */
async function writeDemoData(dataDir: string, data: DemoData): Promise<void> {
  const file = path.join(dataDir, DEMO_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/**
 * One demo schedule: a flight number each way between an airport and the resort, the days it
 * flies, and its times as airport-local clock times with the airport's UTC offset (Russia and
 * Korea keep no daylight-saving time, so fixed offsets are exact).
 */
interface DemoSchedule {
  airport: string;
  seats: number;
  /** Days from today (resort time) on which the inbound flight departs: every day, or weekly. */
  everyDays: number;
  inbound: { flightNumber: string; departs: string; arrives: string; arrivesNextDay?: boolean };
  outbound: { flightNumber: string; departs: string; arrives: string };
}

const DEMO_RESORT_AIRPORT = 'WOS';
const DEMO_SEASON_DAYS = 60;
const DEMO_SCHEDULES: DemoSchedule[] = [
  // Vladivostok: daily, Vladivostok UTC+10, the resort UTC+9.
  {
    airport: 'VVO',
    seats: 180,
    everyDays: 1,
    inbound: { flightNumber: 'JS611', departs: '09:30+10:00', arrives: '10:45+09:00' },
    outbound: { flightNumber: 'JS612', departs: '12:30+09:00', arrives: '15:40+10:00' },
  },
  // Pyongyang: daily shuttle.
  {
    airport: 'FNJ',
    seats: 150,
    everyDays: 1,
    inbound: { flightNumber: 'JS151', departs: '08:00+09:00', arrives: '08:50+09:00' },
    outbound: { flightNumber: 'JS152', departs: '17:00+09:00', arrives: '17:50+09:00' },
  },
  // Moscow: a weekly overnight charter, Moscow UTC+3; it lands the next morning and turns around the same day.
  {
    airport: 'SVO',
    seats: 280,
    everyDays: 7,
    inbound: { flightNumber: 'SU1902', departs: '21:00+03:00', arrives: '12:30+09:00', arrivesNextDay: true },
    outbound: { flightNumber: 'SU1903', departs: '14:00+09:00', arrives: '17:00+03:00' },
  },
];

/**
 * Demo routes SVO, VVO and FNJ ⇄ WOS and a season of flights on them (the next 60 days), created
 * through the HTTP API like everything else in the demo. Safe to run against a database that has
 * some of them already: an existing route is reused and an existing flight skipped.
 */
export async function seedDemoFlights(baseUrl: string, operationsKey: string): Promise<void> {
  const existingRoutes = await callApi<{ data: { id: string; origin: string; destination: string }[] }>(
    baseUrl,
    operationsKey,
    'GET',
    '/v1/routes?limit=200',
    undefined,
    200,
  );
  const routeId = async (origin: string, destination: string): Promise<string> => {
    const known = existingRoutes.data.find((route) => route.origin === origin && route.destination === destination);
    if (known) return known.id;
    return (await callApi<{ id: string }>(baseUrl, operationsKey, 'POST', '/v1/routes', { origin, destination })).id;
  };

  const flights: Record<string, unknown>[] = [];
  for (const schedule of DEMO_SCHEDULES) {
    const inboundRoute = await routeId(schedule.airport, DEMO_RESORT_AIRPORT);
    const outboundRoute = await routeId(DEMO_RESORT_AIRPORT, schedule.airport);
    for (let day = 1; day <= DEMO_SEASON_DAYS; day += schedule.everyDays) {
      const date = resortDateInDays(day, 'Asia/Pyongyang');
      const arrivalDate = schedule.inbound.arrivesNextDay ? resortDateInDays(day + 1, 'Asia/Pyongyang') : date;
      flights.push({
        routeId: inboundRoute,
        flightNumber: schedule.inbound.flightNumber,
        departureAt: `${date}T${schedule.inbound.departs}`,
        arrivalAt: `${arrivalDate}T${schedule.inbound.arrives}`,
        seats: schedule.seats,
      });
      flights.push({
        routeId: outboundRoute,
        flightNumber: schedule.outbound.flightNumber,
        departureAt: `${arrivalDate}T${schedule.outbound.departs}`,
        arrivalAt: `${arrivalDate}T${schedule.outbound.arrives}`,
        seats: schedule.seats,
      });
    }
  }
  // A few at a time: quick, and well within the operations key's rate limit.
  for (let start = 0; start < flights.length; start += 8) {
    await Promise.all(flights.slice(start, start + 8).map((flight) => createDemoFlight(baseUrl, operationsKey, flight)));
  }
}

async function createDemoFlight(baseUrl: string, operationsKey: string, flight: Record<string, unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const response = await request(baseUrl, operationsKey, 'POST', '/v1/flights', flight);
    // 409: this flight number already departs then (seeded before).
    if (response.status === 201 || response.status === 409) return;
    if (response.status === 429 && attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
      continue;
    }
    throw new Error(`POST /v1/flights answered ${response.status}: ${response.text}`);
  }
}

/** Calls the API and returns the parsed body; throws unless it answers `expectedStatus`. */
export async function callApi<T>(
  baseUrl: string,
  key: string,
  method: string,
  pathAndQuery: string,
  body?: unknown,
  expectedStatus = 201,
): Promise<T> {
  const response = await request(baseUrl, key, method, pathAndQuery, body);
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${pathAndQuery} answered ${response.status} (expected ${expectedStatus}): ${response.text}`);
  }
  return JSON.parse(response.text) as T;
}

async function request(
  baseUrl: string,
  key: string,
  method: string,
  pathAndQuery: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${baseUrl}${pathAndQuery}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS),
  });
  return { status: response.status, text: await response.text() };
}

/** What `npm start` prints once everything is up: where to look and which keys to use. */
export function formatBanner(options: {
  publicUrl: string;
  dataDir: string | undefined;
  operationsKey: string;
  demo: DemoData | undefined;
  resortTimeZone: string;
}): string {
  const { publicUrl, dataDir, operationsKey, demo } = options;
  const checkIn = resortDateInDays(7, options.resortTimeZone);
  const checkOut = resortDateInDays(10, options.resortTimeZone);
  const agentKey = demo?.agencies[0]?.agentKey ?? '<agent key>';
  const booking = JSON.stringify({ checkIn, checkOut, guests: [{ fullName: 'Ivan Petrov', nationality: 'RU' }] });
  const rule = '─'.repeat(78);
  return [
    rule,
    '  Kalma is running',
    '',
    `  API              ${publicUrl}`,
    `  Console          ${publicUrl}/console  (sign in with a key below)`,
    `  Docs (OpenAPI)   ${publicUrl}/docs`,
    ...(dataDir ? [`  Data             ${dataDir}  (delete it to start afresh)`] : []),
    '',
    `  Operations key   ${operationsKey}`,
    ...(demo
      ? demo.agencies.map((agency) => `  Agent key        ${agency.agentKey}  (${agency.name})`)
      : ['  Agent keys       none: seeding the demo data failed (see above)']),
    '',
    '  Book a stay as the first agency:',
    '',
    `  curl -i -X POST ${publicUrl}/v1/bookings \\`,
    `    -H 'Authorization: Bearer ${agentKey}' \\`,
    `    -H 'Idempotency-Key: demo-${randomBytes(4).toString('hex')}' \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '${booking}'`,
    '',
    '  Ctrl-C stops everything.',
    rule,
  ].join('\n');
}

/** The resort-local calendar date `days` from today, as YYYY-MM-DD. */
function resortDateInDays(days: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date());
  const part = (type: string) => Number(parts.find((candidate) => candidate.type === type)?.value);
  const [year, month, day] = [part('year'), part('month'), part('day')];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}
