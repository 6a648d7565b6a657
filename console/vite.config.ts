// Builds the console into dist/ (served by ybd, src/api/console-static.ts): hashed files under assets/, no source
// maps shipped, and during `vite dev` API calls proxied to a running ybd (YB_API_URL, default 127.0.0.1:5050).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.YB_API_URL ?? 'http://127.0.0.1:5050';
const apiPaths = ['/session', '/apps', '/teams', '/account', '/tokens', '/keys', '/services', '/storage', '/events', '/users', '/openapi.json'];

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', assetsDir: 'assets', sourcemap: false, target: 'es2022', reportCompressedSize: true },
  // ws: the terminal's run WebSocket under /apps (its Origin check passes: changeOrigin is off, the Host stays the page's).
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false, ws: p === '/apps' }])) },
});
