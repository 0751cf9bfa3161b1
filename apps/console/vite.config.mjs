import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the API under /console (apps/api/src/http/console.ts) from dist/console.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // One small bundle, no inline scripts or styles: the page's CSP allows only 'self'.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
