// The published package: ESM and CommonJS for Node 20+, one self-contained ESM file for browsers,
// and the `tower` CLI. @tower/* workspace code (contracts, the router's client-facing types) is
// bundled in; third-party dependencies stay dependencies. Types are bundled into one declaration
// file per format by rolldown-plugin-dts, with the whole router (see @tower/api/client).
import { defineConfig } from "tsdown";
import { WORKSPACE, workspaceDeps } from "../../tooling/tsdown-deps.mjs";

// Third-party imports stay imports: listed in dependencies, or (for the server-side modules the
// declaration pass walks past) never reached at run time.
const dts = { tsconfig: "tsconfig.dts.json", resolve: WORKSPACE };

export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    platform: "node",
    target: "node20",
    dts,
    deps: workspaceDeps,
  },
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    dts: false,
    platform: "node",
    target: "node20",
    deps: workspaceDeps,
  },
  {
    // Everything inlined (ws's browser stub included): a page or a bundler needs nothing else.
    entry: { browser: "src/index.ts" },
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    minify: true,
    dts: false,
    deps: { alwaysBundle: [/.*/] },
  },
]);
