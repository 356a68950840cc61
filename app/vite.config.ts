import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The dtlens app: static files in app/dist (relative base, so it also works opened from any folder). */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  server: { host: '127.0.0.1' },
});
