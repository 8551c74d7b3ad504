// Build of the tagmetry serve front end. The output folder comes from TAGMETRY_WEB_OUT (set by
// web/CMakeLists.txt to BUILD/share/tagmetry/web) or defaults to web/dist. `npm run dev` proxies /api to a
// running `tagmetry serve` (TAGMETRY_API, default http://127.0.0.1:7860).
import { defineConfig } from 'vite';

declare const process: { env: Record<string, string | undefined> };

const out = process.env.TAGMETRY_WEB_OUT || 'dist';
const api = process.env.TAGMETRY_API || 'http://127.0.0.1:7860';

export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: out,
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { '/api': { target: api, changeOrigin: true } } },
});
