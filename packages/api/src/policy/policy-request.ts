import path from "node:path";
import { ABSOLUTE_PATH, type PolicyCheckRequest } from "@tower/shared";
import { sha256 } from "../core/tokens";

/** A check's request as rules see it: the path made relative to the workspace, the input hashed. */
export interface NormalizedRequest {
  agent: string;
  tool: string;
  operation: string;
  /** Relative to the agent's workspace (`src/app.ts`), or as given when it could not be made so. */
  path: string | null;
  /** The path leaves the workspace (`../x`, or absolute outside `cwd`), or is absolute with no `cwd`. */
  pathOutside: boolean;
  input: Record<string, unknown>;
  estimatedCostUsd: number | null;
  sessionId: string | null;
  /**
   * SHA-256 of the canonical JSON of agent, tool, operation, path, input and estimated cost: what an
   * approval binds to (a yes to $150 is not a yes to $1,000,000).
   */
  inputHash: string;
  /** The caller's name for this decision: asked again, it gets the same answer. */
  checkId: string | undefined;
}

const isAbsolute = (p: string) => ABSOLUTE_PATH.test(p);

/** The path relative to the workspace, and whether it leaves it. */
export function normalizePath(
  raw: string | undefined,
  cwd: string | undefined,
): { path: string | null; outside: boolean } {
  if (raw === undefined) return { path: null, outside: false };
  const given = raw.replaceAll("\\", "/");
  if (isAbsolute(given)) {
    const base = cwd?.replaceAll("\\", "/");
    if (!base || !isAbsolute(base)) return { path: path.posix.normalize(given), outside: true };
    const relative = path.posix.relative(path.posix.normalize(base), path.posix.normalize(given));
    if (relative === "") return { path: ".", outside: false };
    if (relative === ".." || relative.startsWith("../") || isAbsolute(relative)) {
      return { path: path.posix.normalize(given), outside: true };
    }
    return { path: relative, outside: false };
  }
  const normalized = path.posix.normalize(given).replace(/^(\.\/)+/, "");
  const outside = normalized === ".." || normalized.startsWith("../");
  return { path: normalized === "" ? "." : normalized, outside };
}

/** JSON with every object's keys sorted, so equal inputs hash alike whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function normalizeRequest(request: PolicyCheckRequest): NormalizedRequest {
  const { path: relative, outside } = normalizePath(request.path, request.cwd);
  const inputHash = sha256(
    canonicalJson({
      agent: request.agent,
      tool: request.tool,
      operation: request.operation,
      path: relative,
      input: request.input,
      // Left out when not given (canonicalJson drops undefined): such requests hash as they always did.
      estimatedCostUsd: request.estimatedCostUsd,
    }),
  );
  return {
    agent: request.agent,
    tool: request.tool,
    operation: request.operation,
    path: relative,
    pathOutside: outside,
    input: request.input,
    estimatedCostUsd: request.estimatedCostUsd ?? null,
    sessionId: request.sessionId ?? null,
    inputHash,
    checkId: request.checkId,
  };
}
