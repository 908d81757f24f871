import { runs, type DbOrTx } from "@tower/db";
import { WORK_LIMITS, type ChangeEvent, type Run, type RunAssignment } from "@tower/shared";
import { and, eq, gt, inArray, min } from "drizzle-orm";
import { findAgentByName, type AgentRow } from "../agents/agent-writes";
import { assertActsAs, isCallerStillValid, watchCaller, type ProjectAccess } from "../core/access";
import type { Caller, Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import { groupCommit } from "../core/group-commit";
import { prepared, slot } from "../core/prepared";
import { claimRefusal, claimRunsTx, unclaimRuns, type Claimed } from "./run-claim";
import { isFor, waitForHandoff, type WaitingAgent } from "./run-handoff";
import { toRun, type RunRow } from "./run-rows";
import { DISABLED_TAKEBACK, takeBackFromDisabledAgent } from "./run-takeback";
import { isTakenBackError } from "./work-sweep";

/** See `WorkPolicy`: how soon a refused agent, and how often an idle one, looks at the queue unprompted. */
const REFUSED_RECHECK_MS = 5_000;
const IDLE_RECHECK_MS = 60_000;

/** Queued runs a stream remembers by id between two looks at the queue (see `queuedSince`). */
const MAX_QUEUED_SEEN = 256;

/**
 * What the agent is told about a run it held that changed: cancelled by someone (stop and report),
 * taken back by the sweep (stop; it is no longer the agent's), or nothing when the agent ended it
 * itself (completed or failed it).
 */
function noticeFor(run: Run, attempt: number, stillHeld: boolean): RunAssignment | null {
  if (run.error !== null && !stillHeld && isTakenBackError(run.error)) {
    return { type: "taken", runId: run.id, attempt, reason: run.error };
  }
  if (run.cancelRequested) return { type: "cancel", runId: run.id, attempt, reason: "Cancelled by an operator" };
  return null;
}

/**
 * What a waiting agent is given, pushed over its live connection: runs it may take, claimed for
 * it here as they are queued (never more than `concurrency` held at once), and word of each held
 * run that is cancelled or taken back (lease lapsed, timed out). Ends when the caller's key or
 * session is revoked, or the client unsubscribes. A run claimed here is the agent's until it
 * completes, fails or stops heartbeating, whether or not this stream is still open.
 */
export function runAssignments(
  deps: Deps,
  access: ProjectAccess,
  caller: Caller,
  input: AssignmentsInput,
  leaseMs: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<RunAssignment> {
  // Checked when the subscription starts, so the caller is told at once (not on its first read).
  assertActsAs(access, input.agent);
  const agent = findAgentByName(deps.state, deps.db, access.projectId, input.agent);
  if (!agent) throw new DomainError("NOT_FOUND", `Unknown agent "${input.agent}"; register it in this project first`);
  return assignmentStream(deps, access.projectId, caller, agent, input, leaseMs, signal);
}

type AssignmentsInput = { agent: string; concurrency: number; batch?: boolean };

/** What hands the runs claimed and not yet handed over to the agent: all in one message, or one each. */
function* handOver(undelivered: RunRow[], batch: boolean | undefined, leaseMs: number): Generator<RunAssignment> {
  if (batch && undelivered.length > 1) yield { type: "runs", runs: undelivered.splice(0).map(toRun), leaseMs };
  while (undelivered.length > 0) yield { type: "run", run: toRun(undelivered.shift()!), leaseMs };
}

async function* assignmentStream(
  deps: Deps,
  projectId: string,
  caller: Caller,
  initial: AgentRow,
  input: AssignmentsInput,
  leaseMs: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<RunAssignment> {
  const find = () => findAgentByName(deps.state, deps.db, projectId, input.agent);
  let agent: AgentRow | undefined = initial;
  /** Runs the agent holds, by id, with the attempt held: claimed here, or before this stream began. */
  const held = heldRuns(deps, projectId, initial);
  /**
   * Those held before this stream began: its agent's previous connection (a process killed and
   * started again) took them, and this one was never given them.
   */
  const inherited = new Set(held.keys());
  const told = new Set<string>();
  /**
   * Runs taken back from this stream (lease lapsed, overran), with the time until which it does not
   * take them again: its agent may be stalled with its connection still open, so they go to other
   * agents first, where a claim here would spend an attempt the agent never sees. For one lease:
   * a run that only this agent may take is its again after that (it was waiting for ever), and a
   * stalled process's socket is closed by the server's keep-alive soon anyway. Runs it inherited
   * are not among them: this stream is the next connection they were waiting for.
   */
  const takenBack = new Map<string, number>();
  let takenBackTimer: ReturnType<typeof setTimeout> | undefined;
  /** The runs not to take now (and the expired ones forgotten). */
  const excluded = (): ReadonlySet<string> => {
    const now = deps.clock.now();
    for (const [id, until] of takenBack) if (until <= now) takenBack.delete(id);
    return new Set(takenBack.keys());
  };
  const excludeForALease = (id: string) => {
    takenBack.set(id, deps.clock.now() + leaseMs);
    clearTimeout(takenBackTimer);
    takenBackTimer = setTimeout(() => {
      lookAtQueue = true;
      poke();
    }, leaseMs + 1);
    takenBackTimer.unref?.();
  };
  const outbox: RunAssignment[] = [];
  /** Something changed that may let the agent take a run it could not before: look at the queue. */
  let lookAtQueue = true;
  /**
   * Runs for this agent seen queued since it last looked, until they are seen taken by another.
   * A run handed to a waiting agent is published queued and then leased in one go: the others,
   * woken by the first, find it gone before they look, and go back to sleep without a claim.
   */
  const queuedSince = new Set<string>();
  const mustLook = () => lookAtQueue || queuedSince.size > 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  const stopWatching = watchCaller(
    deps,
    caller,
    () => {
      ended = true;
      poke();
    },
    projectId,
  );
  const onEvent = (event: ChangeEvent) => {
    if (event.entity === "agent" && event.data.id === agent!.id) {
      lookAtQueue = true; // enabled or disabled, its role changed…
      // Disabled (or the kill switch): the runs it holds are taken from it at once, and it is told.
      if ("status" in event.data && event.data.status === "disabled" && held.size > 0) {
        setImmediate(() => {
          try {
            takeBackFromDisabledAgent(deps, projectId, initial.id);
          } catch (error) {
            // Its reports are refused anyway (a disabled agent's key may not act); the leases lapse.
            deps.logger.error({ err: error, agent: initial.name }, "taking back a disabled agent's runs failed");
          }
        });
      }
      return poke();
    }
    if (event.entity === "policy" || event.entity === "team") {
      lookAtQueue = true; // a rule that kept it from a task may be gone (rules match teams by name)
      return poke();
    }
    if (event.entity !== "run") return;
    const run = event.data;
    const attempt = held.get(run.id);
    if (attempt === undefined) {
      if (run.status !== "queued") return void queuedSince.delete(run.id);
      if (!agent || !isFor(run.target, agent)) return;
      // Past a bound, each id is not worth keeping: the next look is certain anyway.
      if (queuedSince.size < MAX_QUEUED_SEEN) queuedSince.add(run.id);
      else lookAtQueue = true;
      return poke();
    }
    const stillHeld = (run.status === "leased" || run.status === "running") && run.attempt === attempt;
    const notice = noticeFor(run, attempt, stillHeld);
    if (notice && !told.has(run.id)) {
      outbox.push(notice);
      told.add(run.id);
    }
    // A run taken because its agent was disabled is not a sign of a stall: once enabled, it is its again at once.
    if (notice?.type === "taken" && !inherited.has(run.id) && !notice.reason.startsWith(DISABLED_TAKEBACK)) {
      excludeForALease(run.id);
    }
    if (!stillHeld) {
      held.delete(run.id);
      inherited.delete(run.id);
      told.delete(run.id);
      lookAtQueue = true;
    }
    poke();
  };
  const unsubscribe = deps.bus.subscribe(projectId, onEvent);
  if (!isCallerStillValid(deps, caller, projectId)) ended = true;
  signal?.addEventListener("abort", poke);
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Claimed here, not handed to the agent yet: given back if the stream ends first. */
  const undelivered: RunRow[] = [];
  /** Runs leased for this stream in a transaction not yet committed (see `claim`). */
  const claiming = new Map<string, number>();
  // The agent's cap counts what all its streams hold: more subscriptions do not raise it.
  const stopCounting = countHeld(deps, initial.id, [held, claiming]);
  const room = () =>
    Math.min(input.concurrency - held.size - claiming.size, WORK_LIMITS.concurrency - heldByAgent(deps, initial.id));
  /**
   * Inside the claiming transaction: leases what there is room for, counted at once (in
   * `claiming`), so the agent's other streams claiming in the same commit count them against its
   * cap. Held once committed: the changes published then (the run queued, then leased) must not
   * read as a held run that moved on.
   */
  const claim = (tx: DbOrTx, current: AgentRow): Claimed => {
    // A stream claims once at a time: anything left here is from a transaction that was undone.
    claiming.clear();
    const claimed = claimRunsTx(deps, tx, current, leaseMs, room(), excluded());
    for (const { row } of claimed) claiming.set(row.id, row.attempt);
    return claimed;
  };
  /** Once the claim committed: held, and to be handed to the agent. */
  const hold = (claimed: Claimed) => {
    for (const { row } of claimed) {
      claiming.delete(row.id);
      held.set(row.id, row.attempt);
      undelivered.push(row);
    }
  };
  // Asleep with room for runs, the stream is handed those queued meanwhile (run-handoff.ts).
  const waiting: WaitingAgent = {
    takes: (target) => agent !== undefined && isFor(target, agent),
    claim: (tx) => {
      const current = find();
      return current && room() > 0 ? claim(tx, current) : [];
    },
    take: (claimed) => {
      hold(claimed);
      poke();
    },
  };
  try {
    while (!ended && !signal?.aborted) {
      while (outbox.length > 0) yield outbox.shift()!;
      yield* handOver(undelivered, input.batch, leaseMs);
      if (mustLook() && room() > 0) {
        lookAtQueue = false;
        queuedSince.clear();
        agent = find();
        if (!agent) return;
        const claiming = agent;
        // In one commit with the claims of the other streams woken by the same change; the room is
        // measured there, after theirs.
        const claimed = await groupCommit(
          deps,
          (tx) => {
            const made = room() > 0 ? claim(tx, claiming) : [];
            return { value: made, events: made.map((c) => c.event) };
          },
          "tick",
        );
        hold(claimed);
        yield* handOver(undelivered, input.batch, leaseMs);
        clearTimeout(timer);
        if (room() > 0) {
          // Nothing more to take now: look again when a run backing off becomes available, and
          // unprompted after a while (soon when the agent itself was refused: a budget's new day).
          const refused = claimRefusal(deps, claiming, deps.clock.now()) !== null;
          const atMost = refused
            ? (deps.work.refusedRecheckMs ?? REFUSED_RECHECK_MS)
            : (deps.work.idleRecheckMs ?? IDLE_RECHECK_MS);
          timer = setTimeout(
            () => {
              lookAtQueue = true;
              poke();
            },
            untilNextAvailable(deps, projectId, atMost),
          );
          timer.unref?.();
        }
      }
      if (outbox.length > 0 || undelivered.length > 0 || ended || signal?.aborted) continue;
      if (mustLook() && room() > 0) continue;
      const stopWaiting = room() > 0 ? waitForHandoff(deps, projectId, waiting) : undefined;
      try {
        await new Promise<void>((resolve) => (wake = resolve));
      } finally {
        stopWaiting?.();
      }
      wake = undefined;
    }
  } finally {
    // The stream ended between a claim and its delivery: the agent never saw these runs.
    if (undelivered.length > 0) unclaimRuns(deps, undelivered);
    clearTimeout(timer);
    clearTimeout(takenBackTimer);
    stopCounting();
    unsubscribe();
    stopWatching();
    signal?.removeEventListener("abort", poke);
  }
}

/** Counts a stream's runs (held, and being claimed) among its agent's until the returned function is called. */
function countHeld(deps: Deps, agentId: string, maps: readonly ReadonlyMap<string, number>[]): () => void {
  let counted = deps.state.heldByAgent.get(agentId);
  if (!counted) deps.state.heldByAgent.set(agentId, (counted = new Set()));
  for (const map of maps) counted.add(map);
  return () => {
    for (const map of maps) counted.delete(map);
    if (counted.size === 0 && deps.state.heldByAgent.get(agentId) === counted) deps.state.heldByAgent.delete(agentId);
  };
}

/** Runs the agent's open streams hold or are claiming (one that two of them hold, as each loaded it at its start, once). */
function heldByAgent(deps: Deps, agentId: string): number {
  const maps = deps.state.heldByAgent.get(agentId);
  if (!maps) return 0;
  let sum = 0;
  for (const map of maps) sum += map.size;
  // One stream (the usual case): its held and claiming runs are apart, so no run counts twice.
  if (maps.size <= 2) return sum;
  const ids = new Set<string>();
  for (const map of maps) for (const id of map.keys()) ids.add(id);
  return ids.size;
}

/** Milliseconds until the next queued run backing off before a retry becomes available, at most `atMost`. */
function untilNextAvailable(deps: Deps, projectId: string, atMost: number): number {
  const now = deps.clock.now();
  const row = prepared(deps.state, "runs.nextAvailable", () =>
    deps.db
      .select({ at: min(runs.availableAt) })
      .from(runs)
      .where(and(eq(runs.projectId, slot("projectId")), eq(runs.status, "queued"), gt(runs.availableAt, slot("now"))))
      .prepare(),
  ).get({ projectId, now });
  return Math.max(1, Math.min(atMost, row?.at == null ? atMost : row.at - now + 1));
}

/**
 * The runs the agent holds already (a stream opened again after a reconnect, or by a restarted
 * process before its old leases lapsed): they count against its concurrency, and it is told here
 * when one is cancelled or taken back.
 */
function heldRuns(deps: Deps, projectId: string, agent: AgentRow): Map<string, number> {
  const rows = deps.db
    .select({ id: runs.id, attempt: runs.attempt })
    .from(runs)
    .where(and(eq(runs.projectId, projectId), eq(runs.agentId, agent.id), inArray(runs.status, ["leased", "running"])))
    .all();
  return new Map(rows.map((row) => [row.id, row.attempt]));
}
