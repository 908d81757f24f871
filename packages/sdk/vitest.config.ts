export { baseConfig as default } from "@tower/vitest-config";
