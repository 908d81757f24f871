// Node-only helpers (file system). Browsers never import this: they take types from "@tower/shared"
// and values from the zod-free "@tower/shared/domain".
export { readIdentityFolder } from "./identity-files";
