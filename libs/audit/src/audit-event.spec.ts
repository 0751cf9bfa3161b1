import { changesBetween, requestOrigin, systemOrigin, withCause } from './audit-event';

describe('changesBetween', () => {
  const before = {
    status: 'held',
    holdExpiresAt: new Date('2027-07-01T00:15:00Z'),
    guestCount: 2,
    nationalities: ['GB', 'RU'],
    returnFlightId: null as string | null,
  };

  it('lists only the fields that differ, as {from, to}, dates as ISO strings', () => {
    const after = { ...before, status: 'confirmed', holdExpiresAt: null as Date | null };
    expect(
      changesBetween<typeof before | typeof after>(before, after, [
        'status',
        'holdExpiresAt',
        'guestCount',
        'nationalities',
        'returnFlightId',
      ]),
    ).toEqual({
      status: { from: 'held', to: 'confirmed' },
      holdExpiresAt: { from: '2027-07-01T00:15:00.000Z', to: null },
    });
  });

  it('compares arrays and dates by value', () => {
    const after = { ...before, holdExpiresAt: new Date(before.holdExpiresAt.getTime()), nationalities: ['GB', 'RU'] };
    expect(changesBetween(before, after, ['holdExpiresAt', 'nationalities'])).toEqual({});
    expect(changesBetween(before, { ...after, nationalities: ['RU'] }, ['nationalities'])).toEqual({
      nationalities: { from: ['GB', 'RU'], to: ['RU'] },
    });
  });

  it('treats a creation as every set field changing from null, and leaves out what stays null', () => {
    expect(changesBetween(undefined, before, ['status', 'guestCount', 'returnFlightId'])).toEqual({
      status: { from: null, to: 'held' },
      guestCount: { from: null, to: 2 },
    });
  });
});

describe('origins', () => {
  it('names the key of a request and nothing of a job', () => {
    const origin = requestOrigin({ keyId: 'k', role: 'agent', agencyId: 'a' }, 'r-1');
    expect(origin).toEqual({
      actor: { type: 'api_key', keyId: 'k', role: 'agent', agencyId: 'a' },
      cause: { type: 'request' },
      requestId: 'r-1',
    });
    expect(withCause(origin, { type: 'route_suspension', id: 's' })).toEqual({ ...origin, cause: { type: 'route_suspension', id: 's' } });
    expect(systemOrigin({ type: 'hold_expiry' })).toEqual({ actor: { type: 'system' }, cause: { type: 'hold_expiry' }, requestId: null });
  });
});
