import { defineConfig } from "vite";

// The board is served by the gateway from web/dist: hashed file names under /assets/ (cached
// for a year), index.html at / (never cached). `npm run dev` proxies the API and the feed to a
// gateway on :8080 (TASKWIRE_GATEWAY_URL to change it).
const gateway = process.env.TASKWIRE_GATEWAY_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  // The client library is consumed as TypeScript source through a symlink; resolving its
  // imports from here means web/node_modules is all the build needs.
  resolve: { preserveSymlinks: true },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: true, target: "es2022" },
  server: {
    proxy: {
      "/api": gateway,
      "/ws": { target: gateway.replace(/^http/, "ws"), ws: true },
    },
  },
});
