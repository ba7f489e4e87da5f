import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the "source" export condition.
const resolve = { conditions: ["source"] };

export default defineConfig({
  resolve,
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        resolve,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/*.it.test.ts", "**/node_modules/**"],
        },
      },
      {
        resolve,
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.it.test.ts", "test/**/*.it.test.ts"],
          globalSetup: ["./test/global-setup.ts"],
          // One file at a time against the shared local stack (2 cores).
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
