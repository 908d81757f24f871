import { towerConfig } from "@tower/eslint-config";

export default towerConfig({ tsconfigRootDir: import.meta.dirname });
