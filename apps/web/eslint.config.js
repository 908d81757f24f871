import { towerConfig } from "@tower/eslint-config";

export default [
  { ignores: ["public/**", "test-results/**", "playwright-report/**", "scripts/**"] },
  ...towerConfig({
    tsconfigRootDir: import.meta.dirname,
    // The web app is a pure client: only types may come from the API package.
    restrictedImports: [{ group: ["@tower/db", "@tower/db/*"], message: "The web app never touches the database." }],
  }),
  {
    files: ["app/**", "src/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "@tower/shared",
              allowTypeImports: true,
              // A value import from the main entry evaluates every schema module, which puts all of zod
              // in the bundle. "@tower/shared/domain" (zod-free constants and functions) is not restricted.
              message: "Import only types from @tower/shared in the browser; import values from @tower/shared/domain.",
            },
          ],
        },
      ],
    },
  },
];
