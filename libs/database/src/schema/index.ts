export * from './select-list';
export type * from './tables';
export { TABLE_COLUMNS } from './tables';
