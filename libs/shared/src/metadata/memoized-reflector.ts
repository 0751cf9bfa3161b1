import type { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * A `Reflector` that looks each (target, key) up once. Guards read route metadata (public
 * route, required role, the throttler's six options) on every request, and each read walks the
 * prototype chain of the handler and of the controller in `reflect-metadata`: about 3 % of the
 * API's CPU on the booking path. Route metadata is written by decorators when the classes are
 * defined and never changes afterwards, so an answer, `undefined` included, stays right.
 * Only for reading decorator metadata of handlers and controllers; Nest's own `Reflector`
 * serves everything else.
 */
export class MemoizedReflector extends Reflector {
  private readonly answers = new WeakMap<object, Map<unknown, unknown>>();

  override get: Reflector['get'] = (metadataKeyOrDecorator: string, target: Type | ((...args: never[]) => unknown)): never => {
    let known = this.answers.get(target);
    if (!known) {
      known = new Map();
      this.answers.set(target, known);
    }
    if (!known.has(metadataKeyOrDecorator))
      known.set(metadataKeyOrDecorator, Reflector.prototype.get.call(this, metadataKeyOrDecorator, target));
    return known.get(metadataKeyOrDecorator) as never;
  };
}
