// The dashboard's web server (server.ts: Next.js plus the /trpc proxy) as plain JavaScript for
// `npm start` (`node dist/server.js`). @tower/* workspace code is bundled in; next, zod and every
// other package stay imports resolved from node_modules. The pages themselves are `next build`'s.
// See docs/decisions/compiled-server.md.
import { defineConfig } from "tsdown";
import { workspaceDeps } from "../../tooling/tsdown-deps.mjs";

export default defineConfig({
  entry: { server: "server.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  fixedExtension: false,
  dts: false,
  sourcemap: true,
  deps: workspaceDeps,
});
