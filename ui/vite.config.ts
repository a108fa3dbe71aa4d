import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('.', import.meta.url))

// Production (`vite build`): ui/index.html into ui/dist, served by the gateway at `/` (api/ui/static.ts).
// The UI benchmark (`vite build --mode bench`, bench/ui/run.ts): ui/bench/index.html into ui/dist-bench,
// so its synthetic worker and counters never reach the production bundle.
export default defineConfig(({ mode }) => ({
  root,
  base: '/',
  plugins: [solid()],
  build: {
    outDir: mode === 'bench' ? 'dist-bench' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    rollupOptions: { input: mode === 'bench' ? `${root}bench/index.html` : `${root}index.html` },
  },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://localhost:8080', '/metrics': 'http://localhost:8080', '/ws': { target: 'ws://localhost:8080', ws: true } } },
}))
