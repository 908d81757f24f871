// Over 300 lines on purpose: the agent handle is the SDK's public face (start, heartbeats, reports, authorize,
// guard, stop); its methods are thin and delegate, and splitting the class would split its documentation.
import type { ClientRouter as AppRouter } from "@tower/api/client";
import type {
  Agent,
  AgentRegisterInput,
  AgentSession,
  ChangeOf,
  ReportEvent,
  ReportItem,
  ReportMetric,
  SessionReportInput,
} from "@tower/shared";
import { TRPCClientError, type TRPCClient } from "@trpc/client";
import type { Unsubscribable } from "@trpc/server/observable";
import { waitForApproval } from "./approval-wait";
import { authorize } from "./authorize";
import { lastingSubscription } from "./lasting-subscription";
import type { AuthorizeDecision, AuthorizeOptions, AuthorizeRequest, WaitOptions } from "./authorize-types";
import { PolicyDeniedError } from "./policy-denied-error";
// Report ids are time-ordered (UUIDv7, monotonic within this process): Tower's unique index on
// them then grows at its end instead of at random pages, which made storing a report ~3× cheaper.
import { reportId } from "./report-id";
import { startWork, type RunHandler, type WorkLoop, type WorkOptions } from "./work";

export type AgentProfile = Omit<AgentRegisterInput, "name">;

export interface AgentEvents {
  /** Any change of this agent's record, e.g. an operator edited it or its status moved. */
  change: Agent;
  /** An operator disabled the agent: its session has ended and calls are refused until enabled. */
  disabled: Agent;
  /** An operator enabled the agent again; a handle that was running starts a new session. */
  enabled: Agent;
  /** A heartbeat or report failed; the handle keeps trying. */
  error: Error;
  /** Tower said the agent reached (`over: true`) or left (`over: false`) a budget limit. */
  budget: { over: boolean };
  /**
   * Part of the profile sent on start was not applied (an agent key cannot change its agent's
   * role, tools, path scopes or budgets). Printed with console.warn when nobody listens.
   */
  warning: string;
}

/**
 * What `event()` takes: the rest (id, agent, session, kind, sequence number) is filled in, and `at`
 * is the time of the call unless given.
 */
export type AgentEventReport = Omit<ReportEvent, "id" | "agent" | "sessionId" | "kind" | "seq">;
export type AgentMetricReport = Omit<ReportMetric, "id" | "agent" | "sessionId" | "kind" | "seq">;

type Listener<T> = (value: T) => void;

/** What `guard()` takes besides the tool: the rest of the request and how to wait. */
export type GuardOptions = Omit<AuthorizeRequest, "tool"> & AuthorizeOptions;

export interface AgentHandleOptions {
  /** Registers (creates or updates) the agent with this profile on start. */
  profile?: AgentProfile;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
}

/**
 * One running agent: `start()` opens a session and heartbeats until `stop()`; the handle follows
 * its own record live, so it learns at once when an operator disables or enables it.
 */
export class AgentHandle {
  #session: AgentSession | null = null;
  /** The start under way, if one is. */
  #starting: Promise<AgentSession> | null = null;
  #agent: Agent | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #watch: Unsubscribable | undefined;
  #running = false;
  #listeners = new Map<keyof AgentEvents, Set<Listener<never>>>();
  #overBudget = false;
  #work: WorkLoop | null = null;
  /** The last sequence number given to a report of the current session. */
  #seq = 0;

  constructor(
    private readonly api: TRPCClient<AppRouter>,
    readonly name: string,
    private readonly options: AgentHandleOptions = {},
    private readonly onRunningChange: (handle: AgentHandle, running: boolean) => void = () => {},
    private readonly enqueue: (item: ReportItem) => void = () => {},
    /** Whether the client was closed: its streams, ended by that, are not opened again. */
    private readonly closed: () => boolean = () => false,
  ) {}

  /** Whether Tower last said this agent is at or over one of its budgets. */
  get budget(): { over: boolean } {
    return { over: this.#overBudget };
  }

  /** Called by the client with each delivered batch's verdict. */
  setOverBudget(over: boolean) {
    if (over === this.#overBudget) return;
    this.#overBudget = over;
    this.#emit("budget", { over });
  }

  /**
   * Queues an event (a tool call, API call, file access…) for the audit trail; sent in batches.
   * Each report of a session is numbered (`seq`: 1, 2, 3…, events and metrics alike) and stamped
   * with this process's time (`at`, unless given), so Tower can show the session in the order the
   * agent made them even when batches are committed out of order. A retry sends the same id and
   * number, so it is stored once.
   */
  event(report: AgentEventReport): void {
    const session = this.#session;
    this.enqueue({
      ...report,
      kind: "event",
      id: reportId(),
      agent: this.name,
      sessionId: session?.id,
      at: report.at ?? Date.now(),
      seq: session ? ++this.#seq : undefined,
    });
  }

  /** Queues a metric (execution time, tokens, cost, quality…); sent in batches, numbered as events are. */
  metric(report: AgentMetricReport): void {
    const session = this.#session;
    this.enqueue({
      ...report,
      kind: "metric",
      id: reportId(),
      agent: this.name,
      sessionId: session?.id,
      at: report.at ?? Date.now(),
      seq: session ? ++this.#seq : undefined,
    });
  }

  /**
   * Asks Tower's policy before acting: `allowed`, `denied` or `requires_approval`, with the reason
   * and what decided (the agent's name and current session are filled in). With `{ wait: true }` a
   * request that needs approval waits for a person over the live connection, resuming after a
   * reconnect, until decided, expired or `timeoutMs`. It fails closed and never throws: when Tower
   * cannot be reached or the wait ends without a yes, the answer is `denied` (`source: "sdk"` when
   * the SDK decided that itself). Asking the same request again after a restart finds the same
   * pending approval, so waiting resumes where it was.
   */
  authorize(request: AuthorizeRequest, options: AuthorizeOptions = {}): Promise<AuthorizeDecision> {
    return authorize(this.api, { agent: this.name, sessionId: this.#session?.id }, request, options);
  }

  /**
   * Waits for a person's answer to an approval (by id, e.g. kept from an earlier `authorize()`):
   * `allowed` once approved, else `denied` with the reason; fails closed as `authorize()` does.
   * It does not use the approval: the next `authorize()` of the same request does.
   */
  waitForApproval(approvalId: string, options: WaitOptions = {}): Promise<AuthorizeDecision> {
    return waitForApproval(this.api, approvalId, options);
  }

  /**
   * Runs `fn` only when Tower allows `tool` (waiting for a person with `{ wait: true }`); otherwise
   * throws a `PolicyDeniedError` carrying the decision, and `fn` never runs.
   */
  async guard<T>(
    tool: string,
    fn: (decision: AuthorizeDecision) => T | Promise<T>,
    options: GuardOptions = {},
  ): Promise<T> {
    const { wait, timeoutMs, signal, ...rest } = options;
    const decision = await this.authorize({ ...rest, tool }, { wait, timeoutMs, signal });
    if (decision.decision !== "allowed") throw new PolicyDeniedError(tool, decision);
    return fn(decision);
  }

  /**
   * Works on this agent's runs: Tower pushes each run the agent may take over the live connection
   * (no polling), at most `concurrency` at once, and `handler` runs it. Its return value is the
   * run's output; a thrown error fails the attempt (retried after the task's backoff while attempts
   * remain). The loop heartbeats each run by itself (renewing its lease, carrying `progress()` and
   * `log()` out); `run.signal` aborts when the run is cancelled or taken back. `stop()` on the
   * agent stops the loop: runs in hand are told to stop (`run.signal`); one whose handler then
   * throws goes back to the queue for another agent without spending an attempt, one that returns
   * is completed with its output.
   *
   * ```ts
   * agent.work(async (run) => {
   *   run.progress(40, "indexing");
   *   return { indexed: await index(run.input, { signal: run.signal }) };
   * }, { concurrency: 2 });
   * ```
   */
  work(handler: RunHandler, options: WorkOptions = {}): WorkLoop {
    if (this.#work) throw new Error(`Agent "${this.name}" is already working; stop() it first`);
    const loop = startWork(this.api, this.name, handler, options, (error) => this.#emit("error", error), this.closed);
    this.#work = loop;
    // Stopped with the client (its runs given back or reported), started or not.
    this.onRunningChange(this, true);
    return loop;
  }

  /** The agent record as last seen (after `start()`). */
  get agent(): Agent | null {
    return this.#agent;
  }

  get session(): AgentSession | null {
    return this.#session;
  }

  get disabled(): boolean {
    return this.#agent?.status === "disabled";
  }

  on<E extends keyof AgentEvents>(event: E, listener: Listener<AgentEvents[E]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  #emit<E extends keyof AgentEvents>(event: E, value: AgentEvents[E]) {
    for (const listener of this.#listeners.get(event) ?? []) (listener as Listener<AgentEvents[E]>)(value);
  }

  /**
   * Opens a session (registering the agent first when a profile was given) and starts heartbeats.
   * Calls made while one is under way share its session.
   */
  start(): Promise<AgentSession> {
    this.#starting ??= this.#start().finally(() => (this.#starting = null));
    return this.#starting;
  }

  async #start(): Promise<AgentSession> {
    const started = await this.api.session.start.mutate({ name: this.name, profile: this.options.profile });
    this.#session = started.session;
    this.#seq = 0; // a new session numbers its reports from 1
    this.#agent = started.agent;
    for (const warning of started.warnings) {
      if (this.#listeners.get("warning")?.size) this.#emit("warning", warning);
      else console.warn(`[tower] agent "${this.name}": ${warning}`);
    }
    this.#running = true;
    this.onRunningChange(this, true);
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.#beat(), started.heartbeatIntervalMs);
    // Heartbeats alone never keep a process alive.
    (this.#timer as { unref?: () => void }).unref?.();
    // From the start's own change id, so a disable right after it is never missed.
    this.#follow(started.session.agentId, started.lastEventId);
    return started.session;
  }

  /** Tells Tower what the agent is doing now. */
  async setStatus(status: "idle" | "busy"): Promise<void> {
    await this.api.session.heartbeat.mutate({ sessionId: this.#requireSession(), status });
  }

  /** Reports one finished task: feeds the session totals and the agent's success rate. */
  async report(outcome: Omit<SessionReportInput, "sessionId">): Promise<void> {
    await this.api.session.report.mutate({ sessionId: this.#requireSession(), ...outcome });
  }

  /**
   * Ends the session and stops heartbeats and the live connection. Safe to call twice; never
   * throws (what went wrong, such as Tower not answering, is said through the "error" event).
   */
  async stop(reason: "stopped" | "process_exit" = "stopped"): Promise<void> {
    const work = this.#work;
    this.#work = null;
    await work?.stop();
    this.#running = false;
    this.onRunningChange(this, false);
    clearInterval(this.#timer);
    this.#watch?.unsubscribe();
    this.#watch = undefined;
    const session = this.#session;
    this.#session = null;
    if (!session) return;
    try {
      await this.api.session.end.mutate({ sessionId: session.id, reason });
    } catch (error) {
      // Stopping never fails for want of Tower: the session ends anyway when its heartbeats stop.
      this.#emit(
        "error",
        new Error(
          `Agent "${this.name}": its session could not be ended (${(error as Error).message}); ` +
            "Tower ends it when its heartbeats stop",
        ),
      );
    }
  }

  #requireSession(): string {
    if (!this.#session) {
      throw new Error(
        this.disabled
          ? `Agent "${this.name}" is disabled by an operator`
          : `Agent "${this.name}" has no session; call start()`,
      );
    }
    return this.#session.id;
  }

  async #beat() {
    const session = this.#session;
    if (!session) return;
    try {
      await this.api.session.heartbeat.mutate({ sessionId: session.id });
    } catch (error) {
      const code = codeOf(error);
      if (code === "FORBIDDEN") {
        // Disabled, whether or not the live connection told us yet.
        this.#markDisabled();
      } else if (code === "CONFLICT" && /\(replaced\)/.test((error as Error).message)) {
        // Another process started a session under this agent's name; it wins, this one stops (its
        // work loop too: it went on taking runs beside the process that replaced it).
        this.#running = false;
        this.#session = null;
        clearInterval(this.#timer);
        void this.#work?.stop();
        this.#work = null;
        this.#emit("error", new Error(`Agent "${this.name}" was started by another process; this handle stopped`));
      } else if (code === "CONFLICT" && this.#running) {
        // The server ended the session (missed heartbeats during an outage): open a new one.
        await this.start().catch((e: Error) => this.#emit("error", e));
      } else {
        this.#emit("error", error as Error);
      }
    }
  }

  #markDisabled() {
    if (this.#session === null && this.disabled) return;
    this.#session = null;
    clearInterval(this.#timer);
    if (this.#agent && this.#agent.status !== "disabled") {
      this.#agent = { ...this.#agent, status: "disabled" };
      this.#emit("disabled", this.#agent);
    }
  }

  #follow(agentId: string, lastEventId: string) {
    this.#watch?.unsubscribe();
    // Opened again, from the last change seen, if Tower ends it (see lasting-subscription.ts).
    let after = lastEventId;
    this.#watch = lastingSubscription<{ id: string; data: ChangeOf<"agent"> }>(
      (handlers) => this.api.agent.onChange.subscribe({ agentId, lastEventId: after }, handlers),
      {
        onData: ({ id, data: change }) => {
          after = id;
          if (change.op === "deleted") return;
          const wasDisabled = this.disabled;
          this.#agent = change.data;
          this.#emit("change", change.data);
          if (!wasDisabled && this.disabled) {
            this.#session = null;
            clearInterval(this.#timer);
            this.#emit("disabled", change.data);
          } else if (wasDisabled && !this.disabled) {
            this.#emit("enabled", change.data);
            if (this.#running && !this.#session) void this.start().catch((e: Error) => this.#emit("error", e));
          }
        },
        onRefused: (error) =>
          this.#emit(
            "error",
            new Error(
              `Tower refused ${this.name}'s live feed, so a stop from the dashboard no longer reaches this process: ${error.message}`,
            ),
          ),
        onError: (error) => this.#emit("error", error),
        closed: this.closed,
      },
    );
  }
}
