import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';

/** Where the browser suites write a screenshot of each screen (git-ignored). */
export const SCREENSHOT_DIRECTORY = path.resolve(__dirname, '../../test-output/console');

/** Switches that keep a headless Chromium quiet and self-contained on a shared CI machine. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** `KALMA_SKIP_BROWSER_TESTS=true`: a developer without Chromium skips the browser suites knowingly. */
export const SKIP_BROWSER_TESTS = process.env.KALMA_SKIP_BROWSER_TESTS === 'true';

/**
 * The Chromium to drive: `CHROMIUM_PATH`, else the first of chromium / chromium-browser /
 * google-chrome on PATH (Debian's `chromium` package; `.ci/run` installs it). No browser is ever
 * downloaded. Without one the suite fails with this message rather than passing silently.
 */
export function chromiumExecutable(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH
    }
  }
  throw new Error(
    'No Chromium found for the browser tests: install it (Debian/Ubuntu: apt-get install -y chromium), set CHROMIUM_PATH, ' +
      'or set KALMA_SKIP_BROWSER_TESTS=true to skip the browser suites.',
  );
}

export interface BrowserSession {
  context: BrowserContext;
  /** A new tab: its own sessionStorage, so each tab signs in on its own. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile (user-data-dir) of its own, removed on close. */
export async function launchBrowser(): Promise<BrowserSession> {
  const executablePath = chromiumExecutable();
  const userDataDirectory = mkdtempSync(path.join(tmpdir(), 'kalma-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDirectory, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      // The browser's own zone is not the resort's: what the console shows must not depend on it.
      timezoneId: 'America/New_York',
    });
  } catch (error) {
    rmSync(userDataDirectory, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(userDataDirectory, { recursive: true, force: true });
    },
  };
}

/** axe-core's serious and critical violations on the page as it is now (none is the goal). */
export async function seriousAccessibilityViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? '',
      help: violation.help,
      nodes: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIRECTORY, { recursive: true });
  const file = path.join(SCREENSHOT_DIRECTORY, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Presses Tab until `target` has the focus, as a keyboard-only person would, and fails if it
 * is never reached within `maxTabs` presses (it is not in the tab order).
 */
export async function tabTo(page: Page, target: Locator, maxTabs = 150): Promise<void> {
  await target.waitFor();
  for (let press = 0; press < maxTabs; press++) {
    if (await hasFocus(target)) return;
    await page.keyboard.press('Tab');
  }
  if (await hasFocus(target)) return;
  const handle = await target.elementHandle();
  throw new Error(`tabTo: ${await handle?.evaluate((element) => element.outerHTML.slice(0, 200))} not reached in ${maxTabs} Tab presses`);
}

/** Whether `target` has the keyboard focus. (The test files compile without the DOM library.) */
export async function hasFocus(target: Locator): Promise<boolean> {
  return target.evaluate(
    (element) => element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
  );
}

/** How many items the tab's sessionStorage holds (the signed-in key is the only one). */
export async function sessionStorageLength(page: Page): Promise<number> {
  return page.evaluate('sessionStorage.length');
}
