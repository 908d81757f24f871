import { towerConfig } from "@tower/eslint-config";

// bin/tower.mjs is a two-line shim that imports the compiled CLI (dist/cli.mjs): nothing to lint.
export default [{ ignores: ["bin/**"] }, ...towerConfig({ tsconfigRootDir: import.meta.dirname })];
