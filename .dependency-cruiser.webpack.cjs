/**
 * Only for dependency-cruiser: `#libs/<name>` resolves, as TypeScript resolves it through the
 * package.json `imports` and the build's rootDir/outDir, to the library's source index.
 */
const fs = require('node:fs');
const path = require('node:path');

const libraries = fs.readdirSync(path.join(__dirname, 'libs'), { withFileTypes: true }).filter((entry) => entry.isDirectory());

module.exports = {
  resolve: {
    alias: Object.fromEntries(
      libraries.map((library) => [`#libs/${library.name}$`, path.join(__dirname, 'libs', library.name, 'src', 'index.ts')]),
    ),
  },
};
