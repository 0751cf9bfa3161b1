import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '#libs/config';
import { buildDataSourceOptions } from './data-source-options';
import { TableMaintenance } from './table-maintenance';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions({
          url: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          // The name shown in pg_stat_activity: kalma-api or kalma-worker (their main.ts set the title).
          applicationName: process.title.startsWith('kalma') ? process.title : 'kalma',
        }),
        // Retry at boot: in docker-compose the API may start a moment before Postgres accepts connections.
        retryAttempts: 10,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [TableMaintenance],
  exports: [TableMaintenance],
})
export class DatabaseModule {}
