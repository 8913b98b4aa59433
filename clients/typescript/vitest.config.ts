import { defineConfig } from "vitest/config";

// Unit tests: no network beyond the fake servers they start on loopback.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/**/*.integration.test.ts"],
    testTimeout: 10_000,
  },
});
