import { IsInt, IsOptional, validateSync } from 'class-validator';
import { IsOmittable } from './is-omittable';

class Patch {
  @IsOmittable()
  @IsInt()
  seats?: unknown;

  @IsOptional()
  @IsInt()
  lenient?: unknown;
}

const errorsFor = (values: Partial<Patch>): string[] => validateSync(Object.assign(new Patch(), values)).map((error) => error.property);

describe('IsOmittable', () => {
  it('lets the field be left out', () => {
    expect(errorsFor({})).toEqual([]);
    expect(errorsFor({ seats: 12 })).toEqual([]);
  });

  it('refuses null, which @IsOptional would let through', () => {
    expect(errorsFor({ seats: null })).toEqual(['seats']);
    expect(errorsFor({ lenient: null })).toEqual([]);
  });
});
