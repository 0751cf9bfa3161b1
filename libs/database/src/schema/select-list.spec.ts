import { Narrowed, RowOf, selectList } from './select-list';

describe('selectList', () => {
  it('qualifies each column and reads it under its camelCase name', () => {
    expect(selectList('bookings', 'b', ['id', 'agency_id', 'check_in']).sql).toBe(
      'b.id, b.agency_id AS "agencyId", b.check_in AS "checkIn"',
    );
    expect(selectList('nights', null, ['date', 'updated_at']).sql).toBe('date, updated_at AS "updatedAt"');
  });

  it('reads a renamed column under its new name', () => {
    const list = selectList('notifications', 'n', ['id', 'delivery_state', 'agency_id'], { id: 'notificationId', delivery_state: 'state' });
    expect(list.sql).toBe('n.id AS "notificationId", n.delivery_state AS "state", n.agency_id AS "agencyId"');
    const row: RowOf<typeof list> = { notificationId: 'x', state: 'pending', agencyId: 'y' };
    // @ts-expect-error a renamed column is not read under its own name any more
    const old: RowOf<typeof list> = { id: 'x', state: 'pending', agencyId: 'y' };
    // @ts-expect-error only a selected column can be renamed
    selectList('notifications', 'n', ['id'], { type: 'kind' });
    expect([row, old]).toHaveLength(2);
  });

  it('types the row from the schema (checked by npm run typecheck)', () => {
    const list = selectList('bookings', 'b', ['id', 'guest_count', 'hold_expires_at']);
    const row: RowOf<typeof list> = { id: 'x', guestCount: 2, holdExpiresAt: null };
    // @ts-expect-error guest_count is an integer column
    const wrong: RowOf<typeof list> = { id: 'x', guestCount: '2', holdExpiresAt: null };
    // @ts-expect-error no such column
    selectList('bookings', 'b', ['id', 'guest_total']);
    expect([row, wrong]).toHaveLength(2);
    expect(list.columns).toEqual(['id', 'guest_count', 'hold_expires_at']);
  });

  it('accepts only narrowings that fit the column and keep its null (checked by npm run typecheck)', () => {
    const list = selectList('bookings', 'b', ['status', 'cancellation_reason', 'guest_count']);
    type Row = RowOf<typeof list>;
    const narrowed: Narrowed<Row, { status: 'held' | 'confirmed'; cancellationReason: 'operations' | null }> = {
      status: 'held',
      cancellationReason: null,
      guestCount: 1,
    };
    // @ts-expect-error a nullable column narrowed without its null
    type DropsNull = Narrowed<Row, { cancellationReason: 'operations' }>;
    // @ts-expect-error an integer column narrowed to text
    type WrongType = Narrowed<Row, { guestCount: 'many' }>;
    // @ts-expect-error a field the row does not have
    type Unknown = Narrowed<Row, { nationality: string }>;
    const unused: [DropsNull?, WrongType?, Unknown?] = [];
    expect([narrowed, unused]).toHaveLength(2);
    expect(list.sql).toContain('b.status');
  });
});
