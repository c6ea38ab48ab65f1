import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// One build serves every stage: the API's base URL comes from config.json at run time.
// `npm run dev` forwards /api to the local API (API_URL) as the local stage's UI server does.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: process.env.API_URL
      ? { "/api": { target: process.env.API_URL, rewrite: (path) => path.replace(/^\/api/, "") } }
      : undefined,
  },
});
