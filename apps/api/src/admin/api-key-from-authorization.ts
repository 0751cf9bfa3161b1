/**
 * The API key of an `Authorization` header: `Bearer <key>`, or `Basic` with the key as the
 * password (any user name). Basic is there for browsers: the dashboard's page, assets and its
 * own API calls cannot carry a Bearer header, but a browser re-sends Basic credentials by itself.
 */
export function apiKeyFromAuthorization(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const bearer = /^Bearer\s+(\S{1,512})$/i.exec(header.trim());
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return decoded.includes(':') && /^\S{1,512}$/.test(password) ? password : undefined;
}
