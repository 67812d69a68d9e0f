import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The business users' web app. `npm run build:web` writes dist/web, which the service serves
 * (index.html for every app path); `npm run dev:web` serves it with hot reload and passes the
 * API's paths to a running service (EMPRESS_API, default http://127.0.0.1:4000), so the session
 * cookie stays same-origin in development too.
 */
const api = process.env.EMPRESS_API || 'http://127.0.0.1:4000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // a test sums the first-load JavaScript from the manifest
    manifest: true,
    sourcemap: false,
    assetsDir: 'assets',
    // The budget that matters is the first load, gzipped (300 KB, checked by a test on the
    // manifest); the charts chunk loads on demand. Vite's warning counts minified bytes.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: {
      '/graphql': api,
      '/v1': api,
      '/playground': api,
    },
  },
});
