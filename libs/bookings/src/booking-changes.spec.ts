import { bookingChanges } from './booking-changes';

const base = {
  checkIn: '2027-07-01',
  checkOut: '2027-07-05',
  outboundFlightId: null,
  returnFlightId: 'f1',
  guests: [
    { fullName: 'Ivan Petrov', nationality: 'RU', passportNumber: '751234567' },
    { fullName: 'Jane Roe', nationality: 'GB' },
  ],
};

describe('bookingChanges', () => {
  it('is empty when nothing changes, whatever the key order of the guests', () => {
    expect(
      bookingChanges(base, {
        ...base,
        guests: [
          { passportNumber: '751234567', nationality: 'RU', fullName: 'Ivan Petrov' },
          { nationality: 'GB', fullName: 'Jane Roe' },
        ],
      }),
    ).toEqual({});
  });

  it('names each changed field from and to, guests as counts and nationalities only', () => {
    const changes = bookingChanges(base, {
      ...base,
      checkOut: '2027-07-06',
      returnFlightId: null,
      guests: [...base.guests, { fullName: 'Olga Petrova', nationality: 'RU' }],
    });
    expect(changes).toEqual({
      checkOut: { from: '2027-07-05', to: '2027-07-06' },
      returnFlightId: { from: 'f1', to: null },
      guests: { from: { count: 2, nationalities: { GB: 1, RU: 1 } }, to: { count: 3, nationalities: { GB: 1, RU: 2 } } },
    });
    expect(JSON.stringify(changes)).not.toMatch(/Ivan|Olga|Jane|751234567/);
  });

  it('counts a corrected name as a change of guests', () => {
    const changes = bookingChanges(base, { ...base, guests: [base.guests[0], { fullName: 'Jane Doe', nationality: 'GB' }] });
    expect(Object.keys(changes)).toEqual(['guests']);
  });
});
