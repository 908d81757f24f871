import { towerConfig } from "@tower/eslint-config";

export default [
  { ignores: ["public/**", "test-results/**", "playwright-report/**", "scripts/**"] },
  ...towerConfig({
    tsconfigRootDir: import.meta.dirname,
    // The web app is a pure client: only types may come from the API package.
    restrictedImports: [{ group: ["@tower/db", "@tower/db/*"], message: "The web app never touches the database." }],
  }),
];
