import picomatch from "picomatch";
import { PATH_SCOPE_GLOB_OPTIONS, globComplexityProblem } from "@tower/shared";

/**
 * One test for a list of names or globs (tool names, path scopes), built once: plain names go in
 * a set, globs become one picomatch matcher. The same library and options that validated them.
 *
 * A pattern over the glob limits (glob-limits.ts in @tower/shared) is never given to picomatch, which
 * could take seconds per match or loop forever compiling it: it matches only itself, as a name. The
 * schemas refuse such patterns; this guards values that were saved before the limits or that no
 * glob schema checks (an agent's allowed tools are a plain list of strings).
 */
export function compileGlobs(patterns: readonly string[]): (value: string) => boolean {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const pattern of patterns) {
    if (globComplexityProblem(pattern) !== null) {
      exact.add(pattern);
      continue;
    }
    // Only a plain name goes in the set: picomatch also reads a leading "!" (negation), "\\"
    // (escapes) and a leading "./", none of which `scan` counts as a glob.
    const { isGlob, negated } = picomatch.scan(pattern);
    if (isGlob || negated || pattern.includes("\\") || pattern.startsWith("./")) globs.push(pattern);
    else exact.add(pattern);
  }
  const glob = globs.length > 0 ? picomatch(globs, PATH_SCOPE_GLOB_OPTIONS) : null;
  if (!glob) return (value) => exact.has(value);
  return (value) => exact.has(value) || glob(value);
}
