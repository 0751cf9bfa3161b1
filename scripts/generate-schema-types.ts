import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { generateSchemaTypes, readCommittedSchemaTypes, SCHEMA_TYPES_FILE } from '../libs/database/src/schema/schema-types';
import { createMigratedDatabase, dropDatabase } from './harness/databases';
import { LocalServices, startLocalServices } from './harness/local-services';

/**
 * `npm run schema:types`: migrates a scratch database with the migrations of this tree and writes
 * libs/database/src/schema/tables.ts from its schema (each table's columns, typed as pg returns
 * them). The scratch database is made on the PostgreSQL server of DATABASE_URL (the user must be
 * allowed to create databases) and dropped at the end; without DATABASE_URL on an embedded
 * PostgreSQL started for the run, as `npm test` does.
 */
async function main(): Promise<void> {
  const repositoryRoot = path.resolve(__dirname, '..', '..');
  let services: LocalServices | undefined;
  let dataDir: string | undefined;
  try {
    let serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      dataDir = await mkdtemp(path.join(tmpdir(), 'kalma-schema-types-'));
      services = await startLocalServices({ dataDir });
      serverUrl = services.databaseUrl;
    }
    const scratch = `kalma_schema_types_${randomBytes(4).toString('hex')}`;
    const scratchUrl = await createMigratedDatabase(serverUrl, scratch);
    try {
      const database = new Client({ connectionString: scratchUrl });
      await database.connect();
      let generated: string;
      try {
        generated = await generateSchemaTypes(database);
      } finally {
        await database.end();
      }
      const committed = await readCommittedSchemaTypes(repositoryRoot).catch(() => undefined);
      if (committed === generated) {
        console.log(`${SCHEMA_TYPES_FILE} is up to date`);
      } else {
        await writeFile(path.join(repositoryRoot, SCHEMA_TYPES_FILE), generated);
        console.log(`wrote ${SCHEMA_TYPES_FILE}: run npm run typecheck to see the code the change affects`);
      }
    } finally {
      await dropDatabase(serverUrl, scratch);
    }
  } finally {
    await services?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
