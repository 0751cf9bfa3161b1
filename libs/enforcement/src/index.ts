export * from './enforcement.module';
export * from './restriction-enforcement.service';
