import type { AgentRow } from "../agents/agent-writes";
import type { ConnectionState } from "../core/connection-state";
import type { CompiledPolicy } from "./compiled-policy";
import { compileGlobs } from "./globs";

/** An agent's allowed tools and path scopes as matchers; null where the list is empty (no limit). */
export interface AgentMatchers {
  /** The lists they were compiled from (an agent row is rewritten often, its lists seldom). */
  source: string;
  allowsTool: ((tool: string) => boolean) | null;
  inScope: ((path: string) => boolean) | null;
}

interface PolicyCache {
  /** Each project's policy in force, compiled; replaced when a newer version is read. */
  compiled: Map<string, CompiledPolicy>;
  /** By agent id; recompiled when its allowed tools or path scopes changed. */
  agents: Map<string, AgentMatchers>;
}

/** Compiled agents kept at most (the oldest is dropped first): a few hundred bytes each. */
const MAX_AGENTS = 10_000;

function cacheOf(state: ConnectionState): PolicyCache {
  return (state.policies ??= { compiled: new Map(), agents: new Map() } satisfies PolicyCache) as PolicyCache;
}

/** The project's compiled policy at `version`, compiled by `compile` when the cache holds another. */
export function compiledPolicy(
  state: ConnectionState,
  projectId: string,
  version: number,
  compile: () => CompiledPolicy,
): CompiledPolicy {
  const { compiled } = cacheOf(state);
  const hit = compiled.get(projectId);
  if (hit?.version === version) return hit;
  const fresh = compile();
  compiled.set(projectId, fresh);
  return fresh;
}

export function agentMatchers(state: ConnectionState, agent: AgentRow): AgentMatchers {
  const { agents } = cacheOf(state);
  const source = `${agent.allowedTools.join("\n")}\0${agent.pathScopes.join("\n")}`;
  const hit = agents.get(agent.id);
  if (hit?.source === source) return hit;
  const fresh: AgentMatchers = {
    source,
    allowsTool: agent.allowedTools.length > 0 ? compileGlobs(agent.allowedTools) : null,
    inScope: agent.pathScopes.length > 0 ? compileGlobs(agent.pathScopes) : null,
  };
  agents.delete(agent.id);
  agents.set(agent.id, fresh);
  if (agents.size > MAX_AGENTS) agents.delete(agents.keys().next().value!);
  return fresh;
}
