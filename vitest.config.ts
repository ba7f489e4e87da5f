import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the "source" export condition.
// Tests run on vite's server side, which reads `ssr.resolve`; `resolve` alone only reaches the browser side.
const resolve = { conditions: ["source"] };
const ssr = { resolve: { conditions: ["source"], externalConditions: ["source"] } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "bench/test/**/*.test.ts"],
          exclude: ["**/*.it.test.ts", "**/node_modules/**"],
        },
      },
      {
        resolve,
        ssr,
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
