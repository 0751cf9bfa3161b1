import { ValidationFailed } from '#libs/shared';
import { assertAllowedWebhookUrl, isInternalAddress } from './webhook-url-policy';

describe('webhook URL policy', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '100.64.0.1'])(
    'treats %s as internal',
    (address) => expect(isInternalAddress(address)).toBe(true),
  );

  it.each(['8.8.8.8', '93.184.216.34', '2001:4860:4860::8888'])('treats %s as public', (address) => expect(isInternalAddress(address)).toBe(false));

  it.each(['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'https://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5/x'])(
    'refuses %s unless private URLs are allowed',
    async (url) => {
      await expect(assertAllowedWebhookUrl(url, false)).rejects.toBeInstanceOf(ValidationFailed);
      await expect(assertAllowedWebhookUrl(url, true)).resolves.toBeUndefined();
    },
  );

  it.each(['ftp://example.com/x', 'file:///etc/passwd', 'not a url', 'https://user:pass@93.184.216.34/x'])('refuses %s always', async (url) => {
    await expect(assertAllowedWebhookUrl(url, true)).rejects.toBeInstanceOf(ValidationFailed);
  });

  it('accepts a public address', async () => {
    await expect(assertAllowedWebhookUrl('https://93.184.216.34/hooks/kalma', false)).resolves.toBeUndefined();
  });
});
