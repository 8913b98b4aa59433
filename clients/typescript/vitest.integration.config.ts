import { defineConfig } from "vitest/config";

// Against a running system: TASKWIRE_GATEWAY (default http://127.0.0.1:8080) and, for the drift
// test, the services' own OpenAPI documents (TASKWIRE_OPENAPI_PROJECTS etc., or ports 8001-8003).
export default defineConfig({
  test: {
    include: ["test/**/*.integration.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
