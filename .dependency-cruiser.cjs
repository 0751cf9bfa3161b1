/**
 * The import rules of Kalma's libraries (`npm run lint:boundaries`). A library is a folder of
 * `libs/`; its public face is `libs/<name>/src/index.ts`, imported as `#libs/<name>`, which
 * exports its module, services, controllers, DTOs and domain types, never its repositories
 * (those, and every other file, are the library's own business). What these rules cannot see
 * (which tables a statement touches, the one clock, HTTP in services) `scripts/check-boundaries.mjs` checks.
 */
/** Unit specs beside the code may use test support; they are not production code. */
const SPEC = '\\.(integration-)?spec\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'library-internals',
      severity: 'error',
      comment:
        "A library imports another library only through its index (#libs/<name>): not its repositories, entities' files or any other internal file.",
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'app-reaches-library-internals',
      severity: 'error',
      comment: 'The applications import libraries through their index (#libs/<name>) only.',
      from: { path: '^apps/(api|worker)/', pathNot: SPEC },
      to: { path: '^libs/[^/]+/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'repository-outside-its-library',
      severity: 'error',
      comment:
        "A repository is used only by its own library: other libraries and the applications call the owning library's services (SQL on a table lives in the library that owns it).",
      from: { path: '^(libs/([^/]+)|apps|scripts|bench)/', pathNot: SPEC },
      to: { path: '^libs/[^/]+/.*\\.repository\\.ts$', pathNot: '^libs/$2/' },
    },
    {
      name: 'library-imports-app',
      severity: 'error',
      comment: 'Libraries never import the applications (apps/api, apps/worker, apps/console).',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'production-imports-tests',
      severity: 'error',
      comment: 'Production code never imports test or benchmark code (specs beside it, unit or integration, may use test/support).',
      from: { path: '^(libs|apps|scripts)/', pathNot: SPEC },
      to: { path: ['^test/', '^bench/', SPEC] },
    },
    {
      name: 'library-cycle',
      severity: 'error',
      comment:
        'No cycle between libraries: the orchestration that needs two libraries lives in the one above both (enforcement, disruptions), or the owner exposes a small service.',
      from: { path: '^libs/([^/]+)/' },
      to: { circular: true, via: { path: '^libs/', pathNot: '^libs/$1/' } },
    },
    {
      name: 'unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a typo, or a #libs/<name> that is not a library).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 is newer than this dependency-cruiser reads; @swc/core parses the sources.
    parser: 'swc',
    tsPreCompilationDeps: true,
    webpackConfig: { fileName: '.dependency-cruiser.webpack.cjs' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^node_modules/', '^apps/console/'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
