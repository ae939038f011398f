// Builds the explorer page into ../dist-explorer (npm run explore:build); the
// library core comes straight from ../src (the package's 'migreplay' entry).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: { alias: { migreplay: here('../src/index.ts') } },
  build: {
    outDir: here('../dist-explorer'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    // Inline nothing: the wasm kernel stays a file the worker fetches and compiles.
    assetsInlineLimit: 0,
    rollupOptions: { external: ['@bokuweb/zstd-wasm'] },
  },
  // The ZSTD *encoder* (only for writing traces) is never loaded by the page: keep it out.
  worker: { format: 'es', rollupOptions: { external: ['@bokuweb/zstd-wasm'] } },
  logLevel: 'warn',
});
