import { AirportDirectory } from './airport-directory';

describe('AirportDirectory (airport-data-js dataset)', () => {
  const directory = new AirportDirectory();

  it.each([
    ['WOS', 'KP', 'Asia/Pyongyang'],
    ['FNJ', 'KP', 'Asia/Pyongyang'],
    ['SVO', 'RU', 'Europe/Moscow'],
    ['VVO', 'RU', 'Asia/Vladivostok'],
  ])('knows %s', async (iata, countryCode, timeZone) => {
    await expect(directory.find(iata)).resolves.toEqual(expect.objectContaining({ iata, countryCode, timeZone }));
  });

  it('knows Wonsan Kalma by name', async () => {
    expect((await directory.find('WOS'))?.name).toMatch(/Kalma/);
  });

  it.each(['ZZZ', 'wos', 'WO', 'WOSS', ''])('does not know %p', async (code) => {
    await expect(directory.find(code)).resolves.toBeUndefined();
  });
});
