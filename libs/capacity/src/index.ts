export * from './capacity.module';
export type { NightDelta, NightState } from './capacity.repository';
export * from './capacity.service';
export * from './capacity.controller';
export * from './capacity.errors';
export * from './night-deltas';
