import {
  AgentCreateInputSchema,
  describeInputProblem,
  findInputProblem,
  IMPORT_OUTCOMES,
  LIMITS,
  type Actor,
  type AgentCreate,
  type AgentImportReport,
  type ChangeEvent,
  type IdentityFile,
  type ImportFileReport,
  type ImportOutcome,
} from "@tower/shared";
import { appendAudit } from "../core/audit-chain";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import { agentCount, AGENT_CAP_MESSAGE } from "../core/project-caps";
import { describeIssues } from "../core/zod-issues";
import { findAgentByName, insertAgentTx, writeAgentTx, type AgentRow } from "./agent-writes";
import { readYaml } from "./identity-yaml";

/** The agents a file describes: one identity, a list of them, or `{ agents: [...] }`. */
function readIdentities(file: IdentityFile): unknown[] {
  const lower = file.name.toLowerCase();
  let document: unknown;
  if (lower.endsWith(".json")) document = JSON.parse(file.content);
  else if (lower.endsWith(".yaml") || lower.endsWith(".yml")) document = readYaml(file.content);
  else throw new Error("Unsupported file type: use .yaml, .yml or .json");
  const problem = findInputProblem(document);
  if (problem) throw new Error(describeInputProblem(problem));
  if (Array.isArray(document)) return document;
  if (document && typeof document === "object") {
    const agents = (document as { agents?: unknown }).agents;
    if (Array.isArray(agents)) return agents;
    if ("name" in document) return [document];
  }
  throw new Error("Expected an agent (with a name), a list of agents, or { agents: [...] }");
}

const identityKeys = Object.keys(AgentCreateInputSchema.shape) as (keyof AgentCreate)[];

function sameIdentity(row: AgentRow, identity: AgentCreate): boolean {
  return identityKeys.every((key) => JSON.stringify(row[key]) === JSON.stringify(identity[key]));
}

function nameOf(item: unknown, index: number): string {
  const name = item && typeof item === "object" ? (item as { name?: unknown }).name : undefined;
  return typeof name === "string" && name.trim() ? name.trim() : `#${index + 1}`;
}

/**
 * Upserts agents by name from identity files, in one transaction. An identity file describes the
 * whole profile, so importing the same files again changes nothing and reports `unchanged`.
 */
export function importIdentities(
  deps: Deps,
  projectId: string,
  files: IdentityFile[],
  actor: Actor,
): AgentImportReport {
  const now = deps.clock.now();
  const totals = Object.fromEntries(IMPORT_OUTCOMES.map((outcome) => [outcome, 0])) as Record<ImportOutcome, number>;
  const { reports, events } = deps.db.transaction((tx) => {
    const events: (ChangeEvent | null)[] = [];
    // Counted once: each new agent takes one place, and one past the cap is rejected on its own.
    let room = LIMITS.projectAgents - agentCount(deps.state, tx, projectId);
    const reports: ImportFileReport[] = files.map((file) => {
      let items: unknown[];
      try {
        items = readIdentities(file);
      } catch (error) {
        return { file: file.name, agents: [], error: (error as Error).message };
      }
      const agents = items.map((item, index) => {
        const name = nameOf(item, index);
        const parsed = AgentCreateInputSchema.safeParse(item);
        if (!parsed.success) return { name, outcome: "rejected" as const, reason: describeIssues(parsed.error) };
        const existing = findAgentByName(deps.state, tx, projectId, parsed.data.name);
        if (!existing) {
          if (room <= 0) return { name, outcome: "rejected" as const, reason: AGENT_CAP_MESSAGE };
          room--;
          events.push(insertAgentTx(deps.state, tx, projectId, parsed.data, now, { roomChecked: true }).event);
          return { name, outcome: "created" as const };
        }
        if (sameIdentity(existing, parsed.data)) return { name, outcome: "unchanged" as const };
        events.push(writeAgentTx(deps.state, tx, existing, parsed.data, now).event);
        return { name, outcome: "updated" as const };
      });
      return { file: file.name, agents };
    });
    for (const report of reports) for (const agent of report.agents) totals[agent.outcome]++;
    const detail = { files: files.map((file) => file.name), totals };
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      { operation: "agent.import", target: `${files.length} ${files.length === 1 ? "file" : "files"}`, detail },
      now,
    );
    return { reports, events };
  });
  publishChanges(deps, events);
  return { files: reports, totals };
}
