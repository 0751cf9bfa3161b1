import 'reflect-metadata';
import { ConfigurationError, loadConfig } from '#libs/config';
import { serializeError } from '#libs/observability';
import { migrateDatabase } from '#libs/database';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  process.title = 'kalma-api';
  const config = loadConfig();
  // Before serving anything: apply pending migrations (replicas starting together take turns).
  if (config.MIGRATE_ON_BOOT) await migrateDatabase(config.DATABASE_URL);
  const app = await createApiApp(config);
  // Every interface, as Express did (Fastify alone would listen on localhost only, unreachable in a container).
  await app.listen(config.PORT, '0.0.0.0');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError) console.error(error.message);
  // Through the allow-list: a failed statement at boot carries its parameters.
  else console.error('kalma-api failed to start:', JSON.stringify(serializeError(error)));
  process.exit(1);
});
