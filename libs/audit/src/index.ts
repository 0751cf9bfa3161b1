export * from './audit-event';
export * from './audit-sql';
export * from './audit.module';
export * from './audit.service';
export * from './request-origin';
export * from './dto/audit-event.dto';
