export * from './disruptions.module';
export * from './flight-disruption.service';
