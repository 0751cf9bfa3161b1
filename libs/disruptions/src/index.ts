export * from './disruptions.module';
export * from './flight-disruption.service';
export * from './flight-cancellation.service';
export * from './flight-cancellation.controller';
