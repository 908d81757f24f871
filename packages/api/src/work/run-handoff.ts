import type { DbOrTx } from "@tower/db";
import type { ChangeEvent, TaskTarget } from "@tower/shared";
import { publishChanges } from "../core/change-feed";
import type { Deps } from "../core/deps";
import type { Claimed } from "./run-claim";

// A run queued while agents wait for work is claimed for them in the transaction that queues it:
// one commit instead of two (queue, then wake the agents to claim in a commit of their own), and
// the agent is handed the run as soon as the enqueue is on disk. What is not taken this way (no
// agent waiting, or none may take it) stays queued for the agents' own claims, as before.

/**
 * Whether a run with this target is one the agent could take (as the claim's query decides; the
 * claim still checks the rest: enabled, budgets, policy). Woken or asked only then, a thousand
 * waiting agents do not all look at the queue for a run meant for one of them.
 */
export function isFor(target: TaskTarget, agent: { name: string; role: string }): boolean {
  if (target.kind === "agent") return target.value === agent.name;
  return target.kind === "any" || target.value === agent.role;
}

/** An assignment stream asleep with room for more runs (see run-assignments.ts). */
export interface WaitingAgent {
  /** Whether runs with this target are for this agent (`isFor` with its current name and role). */
  takes(target: TaskTarget): boolean;
  /** Inside the queuing transaction: leases the runs this agent may take now (none if it may not). */
  claim(tx: DbOrTx): Claimed;
  /** Once that transaction committed: the runs leased to it, to hand over. */
  take(claimed: Claimed): void;
}

type Waiting = Map<string, Set<WaitingAgent>>;
const waitingIn = (deps: Pick<Deps, "state">) => deps.state.waitingAgents as Waiting;

/** Counts `agent` among the project's waiting agents until the returned function is called. */
export function waitForHandoff(deps: Pick<Deps, "state">, projectId: string, agent: WaitingAgent): () => void {
  const waiting = waitingIn(deps);
  let agents = waiting.get(projectId);
  if (!agents) waiting.set(projectId, (agents = new Set()));
  agents.add(agent);
  return () => {
    agents.delete(agent);
    if (agents.size === 0 && waiting.get(projectId) === agents) waiting.delete(projectId);
  };
}

export interface Handoff {
  /** The lease changes, recorded in the transaction: publish them with its other changes. */
  events: ChangeEvent[];
  /** Call once the transaction committed (never if it rolled back: the leases were undone with it). */
  deliver(): void;
}

const NOTHING: Handoff = { events: [], deliver: () => {} };

/**
 * Inside the transaction that queued `queued` runs of `projectId`, all with `target` (one task's):
 * claims them for the agents waiting there that they are for, asking each in turn until that many
 * were handed out (with a thousand agents waiting, a single run does not cost a thousand claims;
 * older runs are left to their own).
 */
export function handToWaitingAgents(
  deps: Pick<Deps, "state">,
  tx: DbOrTx,
  projectId: string,
  target: TaskTarget,
  queued: number,
): Handoff {
  const agents = waitingIn(deps).get(projectId);
  if (!agents || agents.size === 0) return NOTHING;
  const handed: [WaitingAgent, Claimed][] = [];
  let count = 0;
  for (const agent of [...agents]) {
    if (count >= queued) break;
    if (!agent.takes(target)) continue;
    const claimed = agent.claim(tx);
    if (claimed.length > 0) handed.push([agent, claimed]);
    count += claimed.length;
  }
  return {
    events: handed.flatMap(([, claimed]) => claimed.map((c) => c.event)),
    deliver: () => {
      for (const [agent, claimed] of handed) agent.take(claimed);
    },
  };
}

/**
 * After the queuing transaction committed: publishes its changes, then hands the runs over. In
 * that order: a stream that saw a run queued after it took it would not count it as held.
 */
export function publishAndHandOver(
  deps: Pick<Deps, "db" | "bus" | "state">,
  events: readonly ChangeEvent[],
  handoffs: readonly (Handoff | undefined)[],
): void {
  publishChanges(deps, events);
  for (const handoff of handoffs) handoff?.deliver();
}
