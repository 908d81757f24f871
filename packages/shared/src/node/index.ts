// Node-only helpers (file system); browsers import "@tower/shared" alone.
export { readIdentityFolder } from "./identity-files";
