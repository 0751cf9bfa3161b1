import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { dateFromToday, guest, KalmaClient } from './support/kalma-client';
import { KalmaStack, startKalmaStack } from './support/kalma-stack';
import { seedBookings, waitForEnforcingWorker } from './support/restriction-helpers';
import { freePort } from './support/service-processes';
import {
  BrowserSession,
  hasFocus,
  SCREENSHOT_DIRECTORY,
  launchBrowser,
  screenshot,
  seriousAccessibilityViolations,
  sessionStorageLength,
  SKIP_BROWSER_TESTS,
  tabTo,
} from './support/browser';
import { waitFor } from '../scripts/harness';

const describeInBrowser = SKIP_BROWSER_TESTS ? describe.skip : describe;

/** Up to the actions' answers and the worker's enforcement: generous on a loaded machine. */
const UI_TIMEOUT_MS = 20_000;

/**
 * The web console in a real Chromium against the real API, worker, PostgreSQL and Redis: the
 * operations journey (occupancy, a ban previewed, applied and watched to 100 %, the cancelled
 * booking and its history, Lift) and the agent journey (book, amend, the inbox filling with a
 * cancellation, acknowledge), keyboard only where it matters, axe-core on every screen.
 */
describeInBrowser('web console (Chromium)', () => {
  let stack: KalmaStack;
  let operations: KalmaClient;
  let browser: BrowserSession;
  let consoleUrl: string;
  let agency: { agencyId: string; agentKey: string };
  let agent: KalmaClient;
  /** The agent's RU booking that the ban cancels. */
  let banned: { id: string; reference: string };

  beforeAll(async () => {
    // The browser first: without a Chromium the suite fails at once, saying how to get one.
    browser = await launchBrowser();
    stack = await startKalmaStack({ apiCount: 1, workerCount: 1 });
    operations = stack.operations;
    consoleUrl = `${stack.apis[0].baseUrl}/console`;
    // Its webhook endpoint refuses every connection: its deliveries stay pending, with a last failure.
    agency = await operations.createAgencyWithAgentKey('Sea Breeze Travel', `http://127.0.0.1:${await freePort()}/kalma-hooks`);
    agent = operations.as(agency.agentKey);
    await waitForEnforcingWorker(operations);
    const booking = await agent.createBooking({
      checkIn: dateFromToday(3),
      checkOut: dateFromToday(6),
      guests: [guest('RU', 'Ivan Petrov'), guest('RU', 'Olga Petrova')],
    });
    if (booking.status !== 201) throw new Error(`booking: ${booking.status} ${JSON.stringify(booking.body)}`);
    banned = booking.body;
    // Enough bookings (of another agency, whose inbox nobody reads here) that enforcement runs
    // over several chunks: the bar has something to move through.
    const other = await operations.createAgencyWithAgentKey('Harbour Tours');
    await seedBookings(stack.database.pool, {
      agencyId: other.agencyId,
      checkIn: dateFromToday(4),
      checkOut: dateFromToday(6),
      nationalities: ['RU'],
      count: 3000,
      referencePrefix: 'SEED',
    });
    await agent.createBooking({ checkIn: dateFromToday(3), checkOut: dateFromToday(5), guests: [guest('GB', 'Jane Smith')] });
  }, 120_000);

  // What a failing test left on screen, for whoever reads the failure.
  afterEach(async () => {
    const pages = browser?.context.pages() ?? [];
    for (const [index, open] of pages.entries()) await screenshot(open, `last-test-page-${index}`).catch(() => undefined);
    for (const open of pages) await open.close().catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function openConsole(): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(consoleUrl);
    return page;
  }

  /** Keyboard only: Tab to the key field, type, Tab to Sign in, Enter. */
  async function signIn(page: Page, key: string): Promise<void> {
    await tabTo(page, page.getByLabel('API key'));
    await page.keyboard.type(key);
    await tabTo(page, page.getByRole('button', { name: 'Sign in' }));
    await page.keyboard.press('Enter');
  }

  async function expectAccessible(page: Page, screen: string): Promise<void> {
    expect({ screen, violations: await seriousAccessibilityViolations(page) }).toEqual({ screen, violations: [] });
    await screenshot(page, screen);
  }

  async function goTo(page: Page, link: string): Promise<void> {
    await tabTo(page, page.getByRole('link', { name: link, exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: link }).waitFor();
  }

  it('serves the page with a CSP and no key anywhere but the Bearer header', async () => {
    const response = await fetch(consoleUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('set-cookie')).toBeNull();
    const settings = await (await fetch(`${consoleUrl}/settings.json`)).json();
    expect(settings).toEqual({ timeZone: 'Asia/Pyongyang', homeCountry: 'KP' });
    // Its script: content-hashed, cached for good, under the same CSP; nothing else of the disk.
    const script = (await response.text()).match(/src="(\/console\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.apis[0].baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-security-policy')).toContain("default-src 'none'");
    for (const missing of [
      '/console/assets/nope.js',
      '/console/assets/..%2f..%2fpackage.json',
      '/console/assets/../../package.json',
      '/console/index.html.map',
    ]) {
      const refused = await fetch(`${stack.apis[0].baseUrl}${missing}`);
      expect({ missing, status: refused.status }).toEqual({ missing, status: 404 });
    }
  });

  it('shows the refusal of a wrong key', async () => {
    const page = await openConsole();
    await expectAccessible(page, 'sign-in');
    await signIn(page, 'not-a-real-key');
    const alert = page.getByRole('alert');
    await expect(alert.textContent()).resolves.toContain('A valid API key is required');
    expect(await alert.textContent()).toContain('401');
    // Still signed out, and nothing kept.
    expect(await sessionStorageLength(page)).toBe(0);
    await screenshot(page, 'sign-in-refused');
    await page.close();
  });

  it('operations: occupancy, a ban previewed, applied and enforced to 100 %, the cancelled booking and its history, Lift', async () => {
    const page = await openConsole();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.url()} ${request.headers().cookie ?? ''}`));
    await signIn(page, stack.operationsKey);

    // Occupancy: at least 60 nights, figures on focus and on hover, set a night's capacity by keyboard.
    await page.getByRole('heading', { level: 1, name: 'Occupancy' }).waitFor();
    const nights = page.locator('button.night');
    await nights.first().waitFor();
    expect(await nights.count()).toBeGreaterThanOrEqual(60);
    const details = page.getByTestId('night-details');
    const night = page.locator(`button.night[data-date="${dateFromToday(4)}"]`);
    await tabTo(page, night);
    // 3,000 seeded, the Petrovs and Jane Smith.
    await expect(details.textContent()).resolves.toContain(
      `${dateFromToday(4)}: 3,003 of 20,000 reserved (15 %), 0 held, 16,997 available`,
    );
    await page.locator(`button.night[data-date="${dateFromToday(10)}"]`).hover();
    await expect(details.textContent()).resolves.toContain(`${dateFromToday(10)}: 0 of 20,000 reserved`);
    await tabTo(page, night);
    await page.keyboard.press('Space');
    const capacity = page.getByLabel('Capacity (guests)');
    await tabTo(page, capacity);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('100');
    await page.keyboard.press('Enter');
    // Below what is reserved: the refusal's title and detail.
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/capacity_below_reserved/);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('19000');
    await tabTo(page, page.getByRole('button', { name: 'Set capacity' }));
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: `Capacity of ${dateFromToday(4)} set to 19000` })
      .waitFor();
    await expectAccessible(page, 'occupancy');
    await tabTo(page, page.getByRole('button', { name: 'Next nights' }));
    await page.keyboard.press('Enter');
    await page.locator(`button.night[data-date="${dateFromToday(63)}"]`).waitFor();

    // Exposure: RU first.
    await goTo(page, 'Exposure');
    await page.getByRole('table').waitFor();
    // A range by keyboard: the stays start on day 3, so from day 7 on nobody is booked.
    await tabTo(page, page.getByLabel('From', { exact: true }));
    await page.getByLabel('From', { exact: true }).fill(dateFromToday(7));
    await tabTo(page, page.getByRole('button', { name: 'Show' }));
    await page.keyboard.press('Enter');
    await page.getByText(`No guests are booked between ${dateFromToday(7)} and`).waitFor();
    await page.getByLabel('From', { exact: true }).fill(dateFromToday(0));
    await tabTo(page, page.getByRole('button', { name: 'Show' }));
    await page.keyboard.press('Space');
    await page.getByRole('table').waitFor();
    const headers = await page.locator('table.exposure thead th').allTextContents();
    expect(headers.slice(0, 4)).toEqual(['Night', 'All guests', 'RU (Russia)', 'GB (United Kingdom)']);
    await expectAccessible(page, 'exposure');

    // Restrictions: preview before Apply, a second confirmation, the bar to 100 %.
    await goTo(page, 'Restrictions');
    // Only the worker warm-up's restriction (lifted) so far.
    await page.getByRole('cell', { name: 'worker warm-up' }).waitFor();
    const restrictionsBefore = (await operations.get('/v1/restrictions')).body.data.length;
    await tabTo(page, page.getByLabel('Nationalities (country codes, e.g. US, GB)'));
    await page.keyboard.type('RU');
    await tabTo(page, page.getByLabel('Reason'));
    await page.keyboard.type('Border closed to Russian tourists');
    await tabTo(page, page.getByRole('button', { name: 'Preview' }));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('preview-to-cancel').textContent()).resolves.toBe('3,001');
    // Per agency: the Petrovs' booking, and the 3,000 of the other agency.
    expect(
      await page
        .getByRole('row', { name: /^Sea Breeze Travel/ })
        .locator('td')
        .allTextContents(),
    ).toEqual(['Sea Breeze Travel', '1', '0', '2', '0']);
    expect(
      await page
        .getByRole('row', { name: /^Harbour Tours/ })
        .locator('td')
        .allTextContents(),
    ).toEqual(['Harbour Tours', '3,000', '0', '3,000', '0']);
    // Nothing applied by the preview.
    expect((await operations.get('/v1/restrictions')).body.data).toHaveLength(restrictionsBefore);
    await expectAccessible(page, 'restrictions-preview');
    await tabTo(page, page.getByRole('button', { name: 'Apply', exact: true }));
    await page.keyboard.press('Space');
    // The second confirmation takes the focus; Enter confirms.
    const confirm = page.getByRole('button', { name: 'Yes, apply' });
    await confirm.waitFor();
    expect(await hasFocus(confirm)).toBe(true);
    expect((await operations.get('/v1/restrictions')).body.data).toHaveLength(restrictionsBefore);
    await expectAccessible(page, 'restrictions-confirm');
    await page.keyboard.press('Enter');
    const bar = page.getByRole('progressbar', { name: 'Enforcement of the restriction on RU' });
    await bar.waitFor();
    const seen: number[] = [];
    await waitFor(
      async () => {
        const value = Number(await bar.getAttribute('aria-valuenow'));
        if (seen[seen.length - 1] !== value) seen.push(value);
        return value;
      },
      (value) => value === 100,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // What the bar showed, for whoever wonders whether it moved (it may jump on a fast machine).
    writeFileSync(path.join(SCREENSHOT_DIRECTORY, 'enforcement-progress.json'), JSON.stringify(seen));
    expect(seen[seen.length - 1]).toBe(100);
    // The bar only ever moves forward.
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    await page.getByText('completed: 3,001 cancelled, 0 reduced of 3,001').waitFor();
    await expectAccessible(page, 'restrictions');

    // Bookings: find the cancelled one by its reference, with its history.
    await goTo(page, 'Bookings');
    await tabTo(page, page.getByLabel('Reference'));
    await page.keyboard.type(banned.reference);
    await tabTo(page, page.getByRole('button', { name: 'Search' }));
    await page.keyboard.press('Enter');
    const detail = page.getByRole('article');
    await detail.getByRole('heading', { name: `Booking ${banned.reference}` }).waitFor();
    await expect(detail.getByTestId('cancellation').textContent()).resolves.toMatch(/^restriction, /);
    await expectAccessible(page, 'bookings');

    // Agencies: webhook health (the refused endpoint), Retry undelivered and the party policy, by keyboard.
    await goTo(page, 'Agencies');
    const row = page.locator(`tr[data-agency-id="${agency.agencyId}"]`);
    await row.locator('td.last-failure').filter({ hasText: /\S/ }).filter({ hasNotText: '—' }).waitFor({ timeout: 30_000 });
    const [delivered, pending, failed] = await row.locator('td.delivery-count').allTextContents();
    expect({ delivered, undelivered: Number(pending.replace('+', '')) + Number(failed.replace('+', '')) }).toEqual({
      delivered: '0',
      undelivered: expect.any(Number),
    });
    expect(Number(pending.replace('+', '')) + Number(failed.replace('+', ''))).toBeGreaterThanOrEqual(1);
    await tabTo(page, row.getByRole('button', { name: /^Retry undelivered/ }));
    await page.keyboard.press('Space');
    await row
      .getByRole('status')
      .filter({ hasText: /^[1-9]\d* deliveries rescheduled/ })
      .waitFor();
    await expectAccessible(page, 'agencies');
    await tabTo(page, row.getByLabel('Party policy of Sea Breeze Travel', { exact: true }));
    // From cancel_booking (the default) down to the third policy.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, row.getByRole('button', { name: 'Save the party policy of Sea Breeze Travel' }));
    await page.keyboard.press('Enter');
    await row.getByRole('status').filter({ hasText: 'Policy saved.' }).waitFor();
    expect((await operations.get(`/v1/agencies/${agency.agencyId}`)).body.partyPolicy).toBe('ask');

    // Flights: a route and a flight; cancel the flight by keyboard.
    const route = await operations.post('/v1/routes', { origin: 'VVO', destination: 'WOS' });
    const departure = `${dateFromToday(5)}T10:00:00+09:00`;
    const arrival = `${dateFromToday(5)}T12:00:00+09:00`;
    const flight = await operations.post('/v1/flights', {
      routeId: route.body.id,
      flightNumber: 'KR101',
      departureAt: departure,
      arrivalAt: arrival,
      seats: 180,
    });
    expect(flight.status).toBe(201);
    await goTo(page, 'Flights');
    await tabTo(page, page.getByRole('button', { name: 'Cancel flight KR101' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel('Reason'));
    await page.keyboard.type('Aircraft unavailable');
    await page.keyboard.press('Enter');
    await page.getByRole('row', { name: /KR101.*cancelled/ }).waitFor();
    expect((await operations.get(`/v1/flights/${flight.body.id}`)).body.status).toBe('cancelled');
    await tabTo(page, page.getByRole('button', { name: 'Suspend route VVO to WOS' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel('Reason'));
    await page.keyboard.type('Runway works');
    await tabTo(page, page.getByRole('button', { name: 'Suspend route', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Suspend VVO → WOS' }).waitFor({ state: 'detached' });
    expect((await operations.get(`/v1/routes/${route.body.id}/suspensions`)).body.data).toEqual([
      expect.objectContaining({ reason: 'Runway works' }),
    ]);
    await expectAccessible(page, 'flights');

    // Lift the ban.
    await goTo(page, 'Restrictions');
    await tabTo(page, page.getByRole('button', { name: /^Lift/ }));
    await page.keyboard.press('Enter');
    const ours = (await operations.get('/v1/restrictions')).body.data.find(
      (restriction: { reason: string }) => restriction.reason === 'Border closed to Russian tourists',
    );
    await page.locator(`tr[data-restriction-id="${ours.id}"] .badge-lifted`).waitFor();
    expect((await operations.get(`/v1/restrictions/${ours.id}`)).body.status).toBe('lifted');

    // The key went out only as the Bearer header: never in a URL, never as a cookie.
    expect(requests.length).toBeGreaterThan(10);
    for (const request of requests) expect(request).not.toContain(stack.operationsKey);
    expect(await page.context().cookies()).toEqual([]);

    await tabTo(page, page.getByRole('button', { name: 'Sign out' }));
    await page.keyboard.press('Enter');
    await page.getByLabel('API key').waitFor();
    expect(await sessionStorageLength(page)).toBe(0);
    await page.close();
  }, 420_000);

  it("operations: a cancelled booking's history (the audit trail)", async () => {
    const page = await openConsole();
    await signIn(page, stack.operationsKey);
    await goTo(page, 'Bookings');
    await page.getByLabel('Status').selectOption('cancelled');
    await page.getByLabel('Agency').selectOption({ label: 'Sea Breeze Travel' });
    await page.getByLabel('Reference').fill(banned.reference);
    await page.getByRole('button', { name: 'Search' }).click();
    const detail = page.getByRole('article');
    await detail.getByRole('heading', { name: `Booking ${banned.reference}` }).waitFor();
    const history = detail.locator('ol.history > li');
    await history.nth(1).waitFor();
    const events = await history.allTextContents();
    expect(events[0]).toMatch(/^booking\.created.*by agent.*cause: request/);
    expect(events[events.length - 1]).toMatch(/^booking\.cancelled.*by system, cause: restriction/);
    expect(events[events.length - 1]).toContain('status: confirmed → cancelled');
    await expectAccessible(page, 'booking-history');
  }, 120_000);

  /** The agent's booking made in the console, amended in the next test. */
  let agentReference: string;

  it('agent: availability, book, the inbox fills with a cancellation, acknowledge', async () => {
    const page = await openConsole();
    await signIn(page, agency.agentKey);
    await page.getByRole('heading', { level: 1, name: 'Availability' }).waitFor();
    // An agent sees only the agent's screens.
    expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['Availability', 'Bookings', 'Inbox']);
    await page.locator('button.night').first().waitFor();
    expect(await page.locator('button.night').count()).toBeGreaterThanOrEqual(60);
    await expectAccessible(page, 'availability');
    await tabTo(page, page.getByRole('button', { name: 'Next nights' }));
    await page.keyboard.press('Enter');
    await page.locator(`button.night[data-date="${dateFromToday(63)}"]`).waitFor();
    await tabTo(page, page.locator(`button.night[data-date="${dateFromToday(64)}"]`));
    await expect(page.getByTestId('night-details').textContent()).resolves.toContain(`${dateFromToday(64)}: 0 of 20,000 reserved`);

    // Book by keyboard.
    await goTo(page, 'Bookings');
    await page.getByLabel('Check-in').fill(dateFromToday(20));
    await page.getByLabel('Check-out').fill(dateFromToday(23));
    await tabTo(page, page.getByLabel('Full name'));
    await page.keyboard.type('Kim Sora');
    await page.keyboard.press('Tab');
    await page.keyboard.type('cn');
    await tabTo(page, page.getByRole('button', { name: 'Book', exact: true }));
    await page.keyboard.press('Enter');
    const booked = page.getByRole('status').filter({ hasText: /^Booked KAL-/ });
    await booked.waitFor();
    const reference = (await booked.textContent())!.match(/KAL-[A-Z0-9]+/)![0];
    agentReference = reference;
    const detail = page.getByRole('article');
    await detail.getByRole('heading', { name: `Booking ${reference}` }).waitFor();
    expect((await agent.get(`/v1/bookings?reference=${reference}`)).body.data[0]).toMatchObject({
      status: 'confirmed',
      guestCount: 1,
      checkIn: dateFromToday(20),
    });
    await expectAccessible(page, 'agent-bookings');

    // The inbox: the earlier ban's cancellations are there; a new ban fills it while it is open.
    await goTo(page, 'Inbox');
    // The Petrovs' cancellation by the first ban is waiting.
    await page.locator('tr[data-notification-type="booking.cancelled"]').filter({ hasText: banned.reference }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Acknowledge all shown' }));
    await page.keyboard.press('Enter');
    await page.getByText('Everything is acknowledged.').waitFor();
    const ban = await operations.post('/v1/restrictions', {
      nationalities: ['CN'],
      effectiveFrom: new Date().toISOString(),
      reason: 'Closed to Chinese tourists',
    });
    expect(ban.status).toBe(201);
    const arrived = page.locator('tr[data-notification-type="booking.cancelled"]').filter({ hasText: reference });
    await arrived.waitFor({ timeout: 30_000 });
    await page.getByText('1 unacknowledged').waitFor();
    await expectAccessible(page, 'inbox');
    await tabTo(page, arrived.getByRole('button', { name: /^Acknowledge/ }));
    await page.keyboard.press('Space');
    await page.getByText('Everything is acknowledged.').waitFor();
    expect((await agent.get('/v1/notifications?unacknowledged=true')).body.data).toEqual([]);
    await operations.post(`/v1/restrictions/${ban.body.id}/lift`);
    await page.close();
  }, 240_000);

  it('agent: keeps a party a ban reduced, confirms a hold and cancels a booking', async () => {
    // The ops test set Sea Breeze's party policy to ask: a ban on part of a party removes those guests and asks.
    const mixed = await agent.createBooking({
      checkIn: dateFromToday(40),
      checkOut: dateFromToday(42),
      guests: [guest('KP', 'Pak Chol'), guest('US', 'John Doe')],
    });
    const single = await agent.createBooking({
      checkIn: dateFromToday(44),
      checkOut: dateFromToday(45),
      guests: [guest('KP', 'Han Mi')],
      hold: true,
    });
    const ban = await operations.post('/v1/restrictions', {
      nationalities: ['US'],
      effectiveFrom: new Date().toISOString(),
      reason: 'Closed to US tourists',
    });
    expect(ban.status).toBe(201);
    await waitFor(
      () => agent.get(`/v1/bookings/${mixed.body.id}`),
      (booking) => booking.body.actionRequired !== null,
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const page = await openConsole();
    await signIn(page, agency.agentKey);
    await goTo(page, 'Bookings');
    await tabTo(page, page.getByRole('button', { name: `Open ${mixed.body.reference}` }));
    await page.keyboard.press('Enter');
    const detail = page.getByRole('article');
    await detail.getByText('Decision needed').waitFor();
    await tabTo(page, detail.getByRole('button', { name: 'Keep reduced party' }));
    await page.keyboard.press('Enter');
    await detail.getByText('Decision needed').waitFor({ state: 'detached' });
    expect((await agent.get(`/v1/bookings/${mixed.body.id}`)).body).toMatchObject({
      status: 'confirmed',
      guestCount: 1,
      actionRequired: null,
    });

    await tabTo(page, page.getByRole('button', { name: `Open ${single.body.reference}` }));
    await page.keyboard.press('Enter');
    await detail.getByRole('heading', { name: `Booking ${single.body.reference}` }).waitFor();
    await detail.locator('.badge-held').waitFor();
    await tabTo(page, detail.getByRole('button', { name: 'Confirm', exact: true }));
    await page.keyboard.press('Enter');
    await detail.locator('.badge-confirmed').waitFor();
    expect((await agent.get(`/v1/bookings/${single.body.id}`)).body.status).toBe('confirmed');
    await tabTo(page, detail.getByRole('button', { name: 'Cancel booking' }));
    await page.keyboard.press('Enter');
    await tabTo(page, detail.getByRole('button', { name: 'Yes, cancel booking' }));
    await page.keyboard.press('Enter');
    await detail.locator('.badge-cancelled').waitFor();
    await expect(detail.getByTestId('cancellation').textContent()).resolves.toMatch(/^agent request, /);
    expect((await agent.get(`/v1/bookings/${single.body.id}`)).body.status).toBe('cancelled');
    await expectAccessible(page, 'agent-booking-cancelled');
    await operations.post(`/v1/restrictions/${ban.body.id}/lift`);
  }, 180_000);

  it('agent: amends a booking (PATCH with If-Match)', async () => {
    const page = await openConsole();
    await signIn(page, agency.agentKey);
    await goTo(page, 'Bookings');
    await page.getByLabel('Check-in').fill(dateFromToday(30));
    await page.getByLabel('Check-out').fill(dateFromToday(33));
    await page.getByLabel('Full name').fill('Ri Chol');
    await page.getByLabel('Nationality').fill('KP');
    await tabTo(page, page.getByRole('button', { name: 'Book', exact: true }));
    await page.keyboard.press('Enter');
    const booked = page.getByRole('status').filter({ hasText: /^Booked KAL-/ });
    await booked.waitFor();
    const reference = (await booked.textContent())!.match(/KAL-[A-Z0-9]+/)![0];
    expect(reference).not.toBe(agentReference);
    const detail = page.getByRole('article');
    await detail.getByRole('heading', { name: `Booking ${reference}` }).waitFor();

    // Amend: one more night, by keyboard.
    await tabTo(page, detail.getByRole('button', { name: 'Amend' }));
    await page.keyboard.press('Enter');
    await detail.getByLabel('Check-out').fill(dateFromToday(34));
    await tabTo(page, detail.getByRole('button', { name: 'Save amendment' }));
    await page.keyboard.press('Enter');
    await detail.getByText(`${dateFromToday(30)} to ${dateFromToday(34)} (4 nights)`).waitFor();
    expect((await agent.get(`/v1/bookings?reference=${reference}`)).body.data[0]).toMatchObject({
      checkOut: dateFromToday(34),
      version: 2,
    });
    await expectAccessible(page, 'agent-amend');
    await page.close();
  }, 240_000);
});
