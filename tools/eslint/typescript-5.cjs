// typescript-eslint builds on the TypeScript 5 compiler API, which TypeScript 7 (the project's
// compiler, the `typescript` at the root of node_modules) no longer has. TypeScript 5 is
// installed beside this file (./package.json); in the ESLint process every `require('typescript')`
// goes there, whichever package asks (typescript-eslint and ts-api-utils load it with require).
// Loaded by eslint.config.mjs before typescript-eslint.
'use strict';
const Module = require('node:module');

const { version } = require('typescript/package.json');
if (!/^5\./.test(version)) {
  throw new Error(`tools/eslint needs TypeScript 5 installed beside it, found ${version}: run npm ci`);
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const typescript = request === 'typescript' || request.startsWith('typescript/');
  return resolveFilename.call(this, request, typescript ? module : parent, ...rest);
};
