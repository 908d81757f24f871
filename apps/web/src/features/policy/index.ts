// The policy feature's public entry: nothing is used by other features yet (see src/README.md).
// The Policy page is rendered by app/(app)/policy/page.tsx from its file.
export {};
