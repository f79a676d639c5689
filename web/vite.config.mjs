// Builds the web interface (web/) into dist/web, which `mtm serve` serves at `/`. No CDN: every
// script and style is bundled; file names carry a content hash, so they can be cached for a year.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Inline nothing: the Content-Security-Policy allows scripts and styles from files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2020',
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
