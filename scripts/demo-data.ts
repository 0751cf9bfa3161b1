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
    if (check.status !== 401) return existing;
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
  await seedDemoFlights(baseUrl, operationsKey);

  const data: DemoData = { seededAt: new Date().toISOString(), agencies };
  const file = path.join(dataDir, DEMO_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return data;
}

/**
 * HOOK: demo flight routes and flights (e.g. Vladivostok ⇄ Wonsan) go here once the flights API
 * exists, created with `callApi(baseUrl, operationsKey, 'POST', '/v1/routes', …)`. It runs once,
 * when the demo data is first seeded.
 */
export async function seedDemoFlights(baseUrl: string, operationsKey: string): Promise<void> {
  void baseUrl;
  void operationsKey;
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
