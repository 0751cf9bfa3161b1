export * from './app-logger';
export * from './metrics';
export * from './observability.module';
export * from './rate-limited-warning';
export * from './error-serialization';
