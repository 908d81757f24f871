import { towerConfig } from "@tower/eslint-config";

// The layering of src/ (README.md): core/ is the floor and imports no domain; each domain imports
// core/ and the domains before it in DOMAINS, never one after it; no folder imports the top-level
// files (the router, the package's entry points, the test harness). Tests are exempt: they drive
// the whole router through the harness. A separate rule from the shared `no-restricted-imports`,
// whose options a second config would replace rather than extend.
const DOMAINS = ["auth", "agents", "teams", "telemetry", "ingest", "sessions", "policy", "push", "work", "suites", "audit", "demo"];
const TOP_LEVEL = ["root", "index", "client-router", "testing", "test-fixtures"];

/** Imports (relative, from a file one folder below src/) of any of these top-level folders or files. */
const reaching = (names) => `^(\\.\\./)+(src/)?(${names.join("|")})(/|\\.[jt]s$|$)`;

/** The rule for one folder: `below` are the domains it may import, besides core/. */
const layer = (folder, below) => {
  const above = DOMAINS.filter((name) => name !== folder && !below.includes(name));
  const message =
    folder === "core"
      ? "core/ is the floor and imports no domain (packages/api/README.md): declare a port in core/ instead."
      : `${folder}/ may import core/ and the domains below it (${below.join(", ") || "none"}), never one above ` +
        "(packages/api/README.md): move the code down, or invert the dependency through a port in core/.";
  const patterns = [
    ...(above.length > 0 ? [{ regex: reaching(above), message }] : []),
    {
      regex: reaching(TOP_LEVEL),
      message: "Only top-level files import the router, the entry points and the test harness.",
    },
  ];
  return {
    files: [`src/${folder}/**/*.ts`],
    ignores: ["**/*.test.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns }] },
  };
};

export default [
  ...towerConfig({ tsconfigRootDir: import.meta.dirname }),
  layer("core", []),
  ...DOMAINS.map((folder, i) => layer(folder, DOMAINS.slice(0, i))),
];
