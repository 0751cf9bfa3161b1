import fc from 'fast-check';
import { ValidationFailed } from '#libs/shared';
import { assertAllowedWebhookUrl, isInternalAddress } from './webhook-url-policy';

describe('webhook URL policy', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '100.64.0.1',
  ])('treats %s as internal', (address) => expect(isInternalAddress(address)).toBe(true));

  it.each(['8.8.8.8', '93.184.216.34', '2001:4860:4860::8888'])('treats %s as public', (address) =>
    expect(isInternalAddress(address)).toBe(false),
  );

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'https://[::1]/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.5/x',
  ])('refuses %s unless private URLs are allowed', async (url) => {
    await expect(assertAllowedWebhookUrl(url, false)).rejects.toBeInstanceOf(ValidationFailed);
    await expect(assertAllowedWebhookUrl(url, true)).resolves.toBeUndefined();
  });

  it.each(['ftp://example.com/x', 'file:///etc/passwd', 'not a url', 'https://user:pass@93.184.216.34/x'])(
    'refuses %s always',
    async (url) => {
      await expect(assertAllowedWebhookUrl(url, true)).rejects.toBeInstanceOf(ValidationFailed);
    },
  );

  it('accepts a public address', async () => {
    await expect(assertAllowedWebhookUrl('https://93.184.216.34/hooks/kalma', false)).resolves.toBeUndefined();
  });

  it.each([
    '::127.0.0.1',
    '::7f00:1',
    '::ffff:7f00:1',
    '::ffff:a00:1',
    '64:ff9b::a00:1',
    '64:ff9b::808:808',
    '2002:7f00:1::',
    '2001:0:4136:e378::1',
    'fec0::1',
    '::',
  ])('treats %s (an IPv4 inside IPv6, or site-local) as internal', (address) => expect(isInternalAddress(address)).toBe(true));

  it.each([
    'http://[::127.0.0.1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[64:ff9b::a00:1]/',
    'http://[2002:7f00:1::]/',
    'http://[fec0::1]/',
  ])('refuses %s', async (url) => {
    await expect(assertAllowedWebhookUrl(url, false)).rejects.toBeInstanceOf(ValidationFailed);
  });

  const internalIpv4 = fc.oneof(
    fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
  );
  const hex = (high: number, low: number) => ((high << 8) | low).toString(16);

  it('refuses every IPv6 spelling that embeds a loopback, private or link-local IPv4 address', async () => {
    await fc.assert(
      fc.asyncProperty(internalIpv4, async ([a, b, c, d]) => {
        const dotted = `${a}.${b}.${c}.${d}`;
        const tail = `${hex(a, b)}:${hex(c, d)}`;
        const spellings = [
          `::ffff:${dotted}`,
          `::ffff:${tail}`,
          `0:0:0:0:0:ffff:${tail}`,
          `::${dotted}`,
          `::${tail}`,
          `64:ff9b::${dotted}`,
          `64:ff9b::${tail}`,
          `2002:${tail}::`,
          `2002:${tail}::1`,
        ];
        for (const address of spellings) {
          expect(isInternalAddress(address)).toBe(true);
          await expect(assertAllowedWebhookUrl(`http://[${address}]:8080/hook`, false)).rejects.toBeInstanceOf(ValidationFailed);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('judges an IPv4-mapped address by the IPv4 address it maps', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), (a, b, c, d) => {
        expect(isInternalAddress(`::ffff:${hex(a, b)}:${hex(c, d)}`)).toBe(isInternalAddress(`${a}.${b}.${c}.${d}`));
      }),
    );
  });
});
