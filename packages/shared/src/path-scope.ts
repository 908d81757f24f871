import picomatch from "picomatch";
import { globComplexityProblem, invalidGlobMessage } from "./glob-limits";

/**
 * Path scopes are globs relative to the agent's workspace (`src/**`, `data/*.csv`). They are
 * validated with the matcher that will enforce them, so a scope that is accepted also compiles.
 * `strictBrackets` makes an unclosed `[`, `{` or `(` an error instead of a literal character.
 */
export const PATH_SCOPE_GLOB_OPTIONS = { strictBrackets: true, dot: true } as const;

/** Why `scope` cannot be a path scope, or null when it can. */
export function pathScopeProblem(scope: string): string | null {
  if (scope.includes("\0")) return "Path scopes cannot contain a null character";
  if (scope.startsWith("/") || /^[a-zA-Z]:/.test(scope) || scope.startsWith("~")) {
    return `"${scope}" is absolute; path scopes are relative to the agent's workspace (e.g. src/**)`;
  }
  if (scope.startsWith("!")) return `"${scope}" is negated; list the paths the agent may use instead`;
  if (scope.split(/[\\/]/).includes("..")) {
    return `"${scope}" has a ".." segment; a scope cannot reach outside the agent's workspace`;
  }
  // Before picomatch: some patterns make its parser loop forever (see glob-limits.ts).
  const complexity = globComplexityProblem(scope);
  if (complexity) return complexity;
  try {
    picomatch.makeRe(scope, PATH_SCOPE_GLOB_OPTIONS);
  } catch (error) {
    return invalidGlobMessage(scope, error);
  }
  return null;
}
