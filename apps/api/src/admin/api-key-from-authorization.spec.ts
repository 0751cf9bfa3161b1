import { apiKeyFromAuthorization } from './api-key-from-authorization';

describe('apiKeyFromAuthorization', () => {
  const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

  it('reads a Bearer key', () => {
    expect(apiKeyFromAuthorization('Bearer kalma_ops_abc')).toBe('kalma_ops_abc');
    expect(apiKeyFromAuthorization('bearer   kalma_ops_abc ')).toBe('kalma_ops_abc');
  });

  it('reads the password of Basic credentials, whatever the user name', () => {
    expect(apiKeyFromAuthorization(basic('ops:kalma_ops_abc'))).toBe('kalma_ops_abc');
    expect(apiKeyFromAuthorization(basic(':kalma_ops_abc'))).toBe('kalma_ops_abc');
    expect(apiKeyFromAuthorization(basic('someone:with:colons'))).toBe('with:colons');
  });

  it('finds no key in anything else', () => {
    expect(apiKeyFromAuthorization(undefined)).toBeUndefined();
    expect(apiKeyFromAuthorization('')).toBeUndefined();
    expect(apiKeyFromAuthorization('Bearer')).toBeUndefined();
    expect(apiKeyFromAuthorization('Token kalma_ops_abc')).toBeUndefined();
    expect(apiKeyFromAuthorization(basic('no-colon'))).toBeUndefined();
    expect(apiKeyFromAuthorization(basic('user:'))).toBeUndefined();
    expect(apiKeyFromAuthorization('Basic !!!')).toBeUndefined();
  });
});
