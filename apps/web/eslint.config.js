import { towerConfig } from "@tower/eslint-config";

/** A value import from "@tower/shared" would put all of zod in the browser's bundle. */
const sharedValues = {
  name: "@tower/shared",
  allowTypeImports: true,
  // A value import from the main entry evaluates every schema module, which puts all of zod
  // in the bundle. "@tower/shared/domain" (zod-free constants and functions) is not restricted.
  message: "Import only types from @tower/shared in the browser; import values from @tower/shared/domain.",
};

/**
 * The features from the bottom up (src/README.md). A feature may import another only through its
 * public entry (`~/features/<name>`, its index.ts), and only one in a layer below its own, so the
 * features never import each other in a circle.
 */
const FEATURE_LAYERS = [
  ["auth", "offline"],
  ["shell"],
  ["approvals", "budgets", "teams"],
  ["agents", "audit", "import", "metrics", "overview", "policy", "settings", "work"],
  ["suites", "workflows"],
];

const featureInternals = {
  group: ["~/features/*/*", "../*"],
  message: "Import another feature through its public entry (~/features/<name>), never its files (src/README.md).",
};

/** One config per feature: the features in its own layer and above are off limits. */
const featureBoundaries = FEATURE_LAYERS.flatMap((layer, index) =>
  layer.map((feature) => ({
    files: [`src/features/${feature}/**`],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [sharedValues],
          patterns: [
            featureInternals,
            {
              group: FEATURE_LAYERS.slice(index)
                .flat()
                .map((name) => `~/features/${name}`),
              message: `"${feature}" may use only the features below its layer (src/README.md); move what both need to src/ui or src/lib.`,
            },
          ],
        },
      ],
    },
  })),
);

export default [
  { ignores: ["public/**", "test-results/**", "playwright-report/**", "scripts/**"] },
  ...towerConfig({
    tsconfigRootDir: import.meta.dirname,
    // The web app is a pure client: only types may come from the API package.
    restrictedImports: [{ group: ["@tower/db", "@tower/db/*"], message: "The web app never touches the database." }],
  }),
  {
    // Route files (app/) render a feature's page component from its file.
    files: ["app/**", "src/**"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { paths: [sharedValues] }] },
  },
  {
    files: ["src/ui/**", "src/lib/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [sharedValues],
          patterns: [
            {
              group: ["~/features", "~/features/*", "../features/*"],
              message: "src/ui and src/lib sit below the features and never import one (src/README.md).",
            },
          ],
        },
      ],
    },
  },
  ...featureBoundaries,
];
