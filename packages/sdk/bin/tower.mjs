#!/usr/bin/env node
// The `tower` command runs the compiled CLI. A file of its own, present before any build, so that
// installing the repository links the command without a warning (dist/ is made later).
import "../dist/cli.mjs";
