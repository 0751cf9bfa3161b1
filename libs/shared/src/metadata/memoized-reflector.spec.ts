import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MemoizedReflector } from './memoized-reflector';

const Roles = Reflector.createDecorator<string[]>();

@SetMetadata('scope', 'class')
class Controller {
  @SetMetadata('scope', 'handler')
  @Roles(['operations'])
  decorated(): void {}

  plain(): void {}
}

describe('MemoizedReflector', () => {
  const plain = new Reflector();
  const memoized = new MemoizedReflector();
  const decorated = Object.getOwnPropertyDescriptor(Controller.prototype, 'decorated')?.value as () => void;
  const undecorated = Object.getOwnPropertyDescriptor(Controller.prototype, 'plain')?.value as () => void;

  it("answers as Nest's Reflector does, for keys and decorators, absent metadata included, asked again and again", () => {
    for (let round = 0; round < 3; round++) {
      for (const target of [decorated, undecorated, Controller]) {
        expect(memoized.get('scope', target)).toEqual(plain.get('scope', target));
        expect(memoized.get(Roles, target)).toEqual(plain.get(Roles, target));
        expect(memoized.get('missing', target)).toBeUndefined();
      }
      expect(memoized.getAllAndOverride('scope', [undecorated, Controller])).toBe('class');
      expect(memoized.getAllAndOverride('scope', [decorated, Controller])).toBe('handler');
      expect(memoized.getAllAndOverride(Roles, [undecorated, Controller])).toBeUndefined();
      expect(memoized.getAllAndOverride(Roles, [decorated, Controller])).toEqual(['operations']);
    }
  });

  it('keeps the answers of one target apart from another', () => {
    expect(memoized.get('scope', decorated)).toBe('handler');
    expect(memoized.get('scope', undecorated)).toBeUndefined();
    expect(memoized.get('scope', Controller)).toBe('class');
  });
});
