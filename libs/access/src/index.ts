export * from './access.module';
export * from './access.repository';
export * from './agencies.service';
export * from './api-keys.service';
export * from './api-key-secret';
export * from './principal';
export * from './webhook-url-policy';
export * from './dto/uuid-param';
