// The auth feature's public entry: what other features may use (see src/README.md).
export { useLogOut, useMe } from "./hooks";
