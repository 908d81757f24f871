// Shared Vitest settings: colocated *.test.ts files, node environment, no module mocks.
import { defineConfig } from "vitest/config";

export const baseConfig = defineConfig({
  // Workspace packages that publish compiled files (@tower/sdk) are imported from their sources
  // in tests, as TypeScript sees them; processes a test spawns use what the package publishes.
  resolve: { conditions: ["@tower/source"] },
  ssr: { resolve: { conditions: ["@tower/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ["default", "json"],
    outputFile: { json: "test-results/vitest.json" },
  },
});
