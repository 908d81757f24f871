// What a tsdown build of ours bundles: the @tower/* workspace packages (TypeScript sources, never
// published) go in; every other package imported by name stays an import, resolved from the
// installing project's node_modules, so it must be a dependency of the package being built.
export const WORKSPACE = [/^@tower\//];
export const workspaceDeps = {
  alwaysBundle: WORKSPACE,
  neverBundle: [/^(?!@tower\/|\.|\/|[A-Za-z]:)/],
};
