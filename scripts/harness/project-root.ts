import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

let root: string | undefined;

/**
 * The project's root directory (where package.json says `kalma`), found from this file whether it
 * runs from dist/scripts/harness (benchmarks, `npm start`) or from its TypeScript source (jest).
 */
export function projectRoot(): string {
  if (root) return root;
  for (let directory = __dirname; ; directory = path.dirname(directory)) {
    const manifest = path.join(directory, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'kalma') {
      return (root = directory);
    }
    if (path.dirname(directory) === directory) throw new Error(`no kalma package.json above ${__dirname}`);
  }
}
