import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../../../../test/support/test-database';
import { generateSchemaTypes, readCommittedSchemaTypes, SCHEMA_TYPES_FILE } from './schema-types';

const repositoryRoot = path.resolve(__dirname, '../../../..');

/** The lines that differ, numbered, `-` committed and `+` generated. */
function lineDiff(committed: string, generated: string): string {
  const before = committed.split('\n');
  const after = generated.split('\n');
  const differences: string[] = [];
  for (let line = 0; line < Math.max(before.length, after.length); line++) {
    if (before[line] === after[line]) continue;
    if (before[line] !== undefined) differences.push(`${line + 1} - ${before[line]}`);
    if (after[line] !== undefined) differences.push(`${line + 1} + ${after[line]}`);
  }
  return differences.slice(0, 40).join('\n');
}

/**
 * The committed row types are those of the migrated schema: a migration that renames, adds, drops
 * or retypes a column without `npm run schema:types` fails here, and after it `npm run typecheck`
 * fails wherever the code still reads the old column.
 */
describe('schema types', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    // A copy of the run's template, which the global setup migrated with this tree's migrations.
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.close();
  });

  it(`${SCHEMA_TYPES_FILE} matches the migrated schema`, async () => {
    const generated = await generateSchemaTypes(database.pool);
    const committed = await readCommittedSchemaTypes(repositoryRoot);
    if (generated !== committed) {
      throw new Error(`${SCHEMA_TYPES_FILE} differs from the migrated schema: run npm run schema:types\n${lineDiff(committed, generated)}`);
    }
  });
});
