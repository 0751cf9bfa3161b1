/**
 * The boundaries dependency-cruiser cannot see, read from the sources (`npm run lint:boundaries`
 * runs it after dependency-cruiser; no build needed):
 *
 * - SQL on a table lives in the library that owns it. A statement may write (UPDATE, INSERT
 *   INTO, DELETE FROM) only its own library's tables, and read (FROM, JOIN) another library's
 *   table only where `READ_JOINS` lists it (a join that a second round trip would replace).
 * - A library's index exports no repository.
 * - Services and repositories speak no HTTP: no problem documents (`toProblem`), no Fastify
 *   replies, no Nest HTTP exceptions. Controllers, and the answers beside them, map outcomes.
 * - One clock: the domain's "now" is `Clock` (libs/shared/src/time/clock.ts); `Date.now()` and
 *   `new Date()` appear nowhere else in libs/ and apps/ (timeouts and durations use `performance.now()`).
 *
 * Prints each violation as `file:line: rule: what`, and exits 1 if there is any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every table of the schema, by the library that owns it (its migrations are in libs/database). */
const OWNERS = {
  access: ['agencies', 'api_keys'],
  audit: ['audit_events'],
  bookings: ['bookings', 'idempotency_keys', 'agency_held_guests'],
  capacity: ['nights'],
  flights: ['routes', 'route_suspensions', 'flights'],
  notifications: ['notifications', 'webhook_attempts', 'webhook_pace'],
  // Kept by triggers on bookings (see the migration LivePartyCounts), read and folded for the ban preview.
  restrictions: ['restrictions', 'live_party_counts'],
};

/** Reads of another library's table allowed in a join, each by a library that depends on the owner. */
const READ_JOINS = {
  // The agency's party policy decides each affected booking's outcome (enforcement's chunk lock).
  bookings: ['agencies'],
  // The agency's party policy decides each party composition's outcome (the ban preview).
  restrictions: ['agencies'],
  // The agency's webhook URL and secret, and its fair share of a dispatch round.
  notifications: ['agencies'],
};

const ownerOf = new Map(Object.entries(OWNERS).flatMap(([library, tables]) => tables.map((table) => [table, library])));

/** Production TypeScript files under a folder (no specs, no migrations: those are the schema). */
function sourceFiles(folder) {
  const files = [];
  const walk = (directory) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !/\.(integration-)?spec\.ts$/.test(entry.name)) files.push(full);
    }
  };
  walk(path.join(root, folder));
  return files.map((file) => path.relative(root, file));
}

const violations = [];
const report = (file, text, index, rule, what) => {
  const line = text.slice(0, index).split('\n').length;
  violations.push(`${file}:${line}: ${rule}: ${what}`);
};

const libraryFiles = sourceFiles('libs').filter((file) => !file.startsWith(path.join('libs', 'database', 'src', 'migrations')));

// --- SQL ownership -----------------------------------------------------------------------------
const STATEMENT = /\b(UPDATE|INSERT INTO|DELETE FROM|FROM|JOIN)\s+([a-z_][a-z0-9_]*)/g;
for (const file of libraryFiles) {
  const library = file.split(path.sep)[1];
  const text = readFileSync(path.join(root, file), 'utf8');
  for (const match of text.matchAll(STATEMENT)) {
    const [, keyword, table] = match;
    const owner = ownerOf.get(table);
    if (!owner || owner === library) continue; // not a table (a CTE, a function, a word), or its own
    const writes = keyword !== 'FROM' && keyword !== 'JOIN';
    if (writes) {
      report(file, text, match.index, 'sql-ownership', `${keyword} ${table}: ${table} belongs to libs/${owner}; call its service`);
    } else if (!(READ_JOINS[library] ?? []).includes(table)) {
      report(file, text, match.index, 'sql-ownership', `${keyword} ${table}: ${table} belongs to libs/${owner}; call its service`);
    }
  }
}

// --- indexes export no repository ----------------------------------------------------------------
for (const file of libraryFiles.filter((candidate) => candidate.endsWith(path.join('src', 'index.ts')))) {
  const text = readFileSync(path.join(root, file), 'utf8');
  for (const match of text.matchAll(/export \* from '([^']*\.repository)'/g))
    report(file, text, match.index, 'index-exports-repository', `export * from '${match[1]}' exports its repository class`);
  for (const match of text.matchAll(/\b([A-Z][A-Za-z]*Repository)\b/g))
    report(file, text, match.index, 'index-exports-repository', `${match[1]} is exported`);
}

// --- no HTTP in services and repositories ---------------------------------------------------------
const HTTP = /\btoProblem\b|\bFastifyReply\b|\bHttpException\b|\bHttpStatus\b|@Res\(/g;
const speaksDomain = (file) => /\.(service|repository)\.ts$/.test(file) || file.includes(`${path.sep}admission${path.sep}`);
for (const file of libraryFiles.filter(speaksDomain)) {
  const text = readFileSync(path.join(root, file), 'utf8');
  for (const match of text.matchAll(HTTP))
    report(file, text, match.index, 'http-in-service', `${match[0]}: return a domain outcome; the controller maps it`);
}

// --- one clock --------------------------------------------------------------------------------------
const CLOCK_FILE = path.join('libs', 'shared', 'src', 'time', 'clock.ts');
const applicationFiles = [...sourceFiles(path.join('apps', 'api', 'src')), ...sourceFiles(path.join('apps', 'worker', 'src'))];
for (const file of [...libraryFiles, ...applicationFiles].filter((candidate) => candidate !== CLOCK_FILE)) {
  const text = readFileSync(path.join(root, file), 'utf8');
  for (const match of text.matchAll(/\bDate\.now\(\)|\bnew Date\(\)/g))
    report(
      file,
      text,
      match.index,
      'one-clock',
      `${match[0]}: the domain's now is Clock.now(); a timeout or duration is performance.now()`,
    );
}

if (violations.length > 0) {
  console.error(violations.join('\n'));
  console.error(`\n${violations.length} boundary violation(s)`);
  process.exit(1);
}
console.log(
  `boundaries kept: SQL ownership, indexes, HTTP out of services, one clock (${libraryFiles.length + applicationFiles.length} files)`,
);
