import { towerConfig } from "@tower/eslint-config";

export default [
  ...towerConfig({ tsconfigRootDir: import.meta.dirname }),
  {
    // src/domain is what browsers import ("@tower/shared/domain"): it must stay free of zod, so it
    // imports nothing outside its own folder.
    files: ["src/domain/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["zod", "zod/*", "../*", "@tower/*", "node:*"],
              message: "src/domain must stay zod-free and browser-safe: import only from ./ (within src/domain).",
            },
          ],
        },
      ],
    },
  },
];
