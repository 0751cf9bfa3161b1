import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigurationError, loadConfig } from '#libs/config';
import { AppLogger, serializeError } from '#libs/observability';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  process.title = 'kalma-worker';
  loadConfig(); // fail fast, naming every bad variable, before connecting to anything
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  // SIGTERM/SIGINT: BullMQ workers finish their active jobs, then connections close.
  app.enableShutdownHooks();
  await app.init();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError) console.error(error.message);
  // Through the allow-list: a failed statement at boot carries its parameters.
  else console.error('kalma-worker failed to start:', JSON.stringify(serializeError(error)));
  process.exit(1);
});
