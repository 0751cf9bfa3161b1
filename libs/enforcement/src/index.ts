export * from './enforcement.module';
export * from './enforcement.repository';
export * from './restriction-enforcement.service';
