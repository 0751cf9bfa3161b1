export * from './metrics';
export * from './observability.module';
export * from './rate-limited-warning';
export * from './error-serialization';
