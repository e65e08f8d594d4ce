import { defineConfig } from "vitest/config";

// Three layers, each runnable alone: `vitest run --project unit|contract|lab`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["agents/**/*.test.ts", "daemon/**/*.test.ts", "packaging/**/*.test.ts", "test/unit/**/*.test.ts", "test/support/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "contract",
          include: ["test/contract/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "lab",
          include: ["test/lab/**/*.lab.test.ts"],
          environment: "node",
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});
