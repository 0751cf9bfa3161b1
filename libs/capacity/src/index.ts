export * from './capacity.module';
export * from './capacity.repository';
export * from './capacity.service';
export * from './capacity.controller';
export * from './capacity.errors';
export * from './night-deltas';
