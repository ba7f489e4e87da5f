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
          // Run one file at a time against the shared local stack: `npm run test:it` passes
          // --no-file-parallelism (vitest 3 has no per-project setting for it).
          globalSetup: ["./test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
