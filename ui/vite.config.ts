import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('.', import.meta.url))

// Built into ui/dist and served by the gateway at `/` (api/ui/static.ts).
export default defineConfig({
  root,
  base: '/',
  plugins: [solid()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    rollupOptions: { input: { main: `${root}index.html`, bench: `${root}bench.html` } },
  },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://localhost:8080', '/metrics': 'http://localhost:8080', '/ws': { target: 'ws://localhost:8080', ws: true } } },
})
