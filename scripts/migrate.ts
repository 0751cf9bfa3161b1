import { ConfigurationError, loadConfig } from '#libs/config';
import { migrateDatabase } from '#libs/database';

/** `npm run migrate`: applies pending migrations to DATABASE_URL and exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const applied = await migrateDatabase(config.DATABASE_URL);
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigurationError ? error.message : error);
  process.exit(1);
});
