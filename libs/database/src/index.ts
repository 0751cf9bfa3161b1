export * from './data-source-options';
export * from './database.module';
export * from './run-migrations';
export * from './returned-rows';
export * from './migrations';
export * from './schema';
export * from './table-maintenance';
