export * from './app-config';
export * from './config.module';
export * from './node-runtime-flags';
