// The shell's public entry: what other features may use (see src/README.md). The shell itself
// (AppShell) is rendered by app/(app)/layout.tsx.
export { useProject, type Membership } from "./project";
