export * from './job-catalogue';
export * from './job-queue';
export * from './jobs.module';
export * from './redis-connection';
export * from './redis-keys';
export * from './urgent-work';
