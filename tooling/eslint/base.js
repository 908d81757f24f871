// Shared lint rules for every package: type-aware TypeScript rules plus the import boundaries
// that keep dependencies flowing one way (shared <- db <- api <- apps).
import tseslint from "typescript-eslint";

export function towerConfig({ tsconfigRootDir, restrictedImports = [] }) {
  return tseslint.config(
    { ignores: ["dist/**", ".next/**", "node_modules/**", "**/*.config.*", "next-env.d.ts"] },
    ...tseslint.configs.recommended,
    {
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir } },
      rules: {
        "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "@typescript-eslint/no-floating-promises": "error",
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              { group: ["@tower/*/src/*"], message: "Import packages through their exports map." },
              ...restrictedImports,
            ],
          },
        ],
      },
    },
  );
}
