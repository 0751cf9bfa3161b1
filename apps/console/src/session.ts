/**
 * The signed-in key: the console's only state outside its components. It lives in this tab's
 * sessionStorage (gone when the tab closes; never a cookie, never in a URL) and leaves the page
 * only as the Authorization header of API calls.
 */
const STORAGE_KEY = 'kalma.apiKey';

export function signedInKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function rememberKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
