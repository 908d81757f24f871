// pnpm hooks. beforePacking shapes the manifest that `pnpm pack` / `pnpm publish` put in a tarball:
// a published package keeps what an installer reads (dependencies, exports, bin) and drops what
// only this repository uses (devDependencies naming private @tower/* packages, build scripts).
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
