export * from './metrics';
export * from './observability.module';
export * from './rate-limited-warning';
