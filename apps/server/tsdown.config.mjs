// The API server as plain JavaScript for `npm start` (`node dist/main.js`): no TypeScript loader at
// run time. @tower/* workspace packages (consumed as TypeScript sources) are bundled in; every
// third-party package stays an import resolved from node_modules, so each one the bundle reaches is
// a dependency of this package (better-sqlite3 and @node-rs/argon2 are native and could not be
// bundled anyway). See docs/decisions/compiled-server.md.
import { defineConfig } from "tsdown";
import { workspaceDeps } from "../../tooling/tsdown-deps.mjs";

export default defineConfig({
  entry: {
    main: "src/main.ts",
    // The worker threads' entries. The thread code (packages/api/src/ingest/ingest-writer-thread.ts and
    // packages/api/src/audit/audit-reader-thread.ts) starts `./<name>.js` beside its own module, so
    // they must keep these names and sit in dist/ beside the chunks (rolldown's default: every chunk
    // at the top of outDir).
    "ingest-writer-worker": "../../packages/api/src/ingest/ingest-writer-worker.ts",
    "audit-reader-worker": "../../packages/api/src/audit/audit-reader-worker.ts",
  },
  format: ["esm"],
  platform: "node",
  target: "node20",
  // `.js` (the package is "type": "module"), the extension the thread code looks for.
  fixedExtension: false,
  dts: false,
  sourcemap: true,
  deps: workspaceDeps,
  // The SQL migrations (with meta/), copied to dist/migrations: once bundled, @tower/db's code looks
  // for them in `migrations/` beside its own chunk (see migrationsFolder in packages/db/src/client.ts).
  copy: ["../../packages/db/migrations"],
});
