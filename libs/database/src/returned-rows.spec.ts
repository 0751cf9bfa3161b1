import { returnedRows } from './returned-rows';

describe('returnedRows', () => {
  it('unwraps the [rows, affectedCount] pair TypeORM answers for UPDATE and DELETE', () => {
    expect(returnedRows([[{ id: 'a' }, { id: 'b' }], 2])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(returnedRows([[], 0])).toEqual([]);
  });

  it('passes the rows of every other command through', () => {
    expect(returnedRows([{ id: 'a' }, { id: 'b' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(returnedRows([])).toEqual([]);
  });
});
