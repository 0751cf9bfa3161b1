export * from './errors/domain-error';
export * from './errors/problem-details.filter';
export * from './time/resort-calendar';
export * from './time/clock';
export * from './pagination/cursor';
export * from './validation/is-calendar-date';
export * from './validation/validation-pipe';
export * from './openapi/problem-responses';
