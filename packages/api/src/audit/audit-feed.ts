import { auditEvents } from "@tower/db";
import type { AuditEvent } from "@tower/shared";
import { eq, max } from "drizzle-orm";
import type { Deps } from "../core/deps";
import { SharedJson } from "../core/shared-json";
import { readAuditEventsAfter } from "./audit-service";

/** Every audit row of a project with `after < id <= last`, oldest first, serialised once for all. */
export interface AuditBatch {
  after: number;
  last: number;
  rows: AuditEvent[];
  shared: SharedJson<AuditEvent[]>;
}

type Listener = (batch: AuditBatch) => void;

const PAGE = 1_000;
/**
 * Reads of a project's feed are spaced so that it sends at most about this many messages a second
 * in all: under steady ingest each subscriber gets one message per read instead of one per commit.
 * A few subscribers are woken at every commit (a dashboard sees an event a millisecond or two after
 * its commit); from 250 on they share a read every 25 ms (40 messages a second each). Each message
 * is a write to a socket (tens of µs of system time on loopback), so the budget is what bounds the
 * server's CPU under many subscribers.
 */
const SENDS_PER_SECOND = 10_000;
/** The longest a committed row waits for its read, at any subscriber count. */
const MAX_INTERVAL_MS = 25;

/** The spacing of reads for `listeners` subscribers, in ms. */
export function feedIntervalMs(listeners: number): number {
  return Math.min(MAX_INTERVAL_MS, (listeners * 1_000) / SENDS_PER_SECOND);
}

export function lastAuditId(db: Deps["db"], projectId: string): number {
  return (
    db
      .select({ id: max(auditEvents.id) })
      .from(auditEvents)
      .where(eq(auditEvents.projectId, projectId))
      .get()?.id ?? 0
  );
}

/**
 * One project's live audit rows, read once per wake-up and handed to every subscriber: with N
 * subscribers the database is read once, not N times, and each batch is serialised once.
 */
class AuditFeed {
  readonly #listeners = new Set<Listener>();
  #head: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastReadAt = 0;
  readonly #stopWakes: () => void;

  constructor(
    private readonly deps: Deps,
    private readonly projectId: string,
    private readonly onIdle: () => void,
  ) {
    this.#head = lastAuditId(deps.db, projectId);
    this.#stopWakes = deps.bus.subscribe(projectId, (event) => {
      if (event.entity === "audit") this.#schedule();
    });
  }

  /** The last row id already handed out (or current when the feed opened). */
  get head() {
    return this.#head;
  }

  add(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      clearTimeout(this.#timer);
      this.#stopWakes();
      this.onIdle();
    };
  }

  get listeners() {
    return this.#listeners.size;
  }

  #schedule() {
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastReadAt + feedIntervalMs(this.#listeners.size) - performance.now());
    this.#timer = setTimeout(() => this.#read(), wait);
  }

  #read() {
    this.#timer = undefined;
    this.#lastReadAt = performance.now();
    // A wake-up may outlive the database (shutdown, a test's teardown): nothing to read then.
    if (!this.deps.db.$client.open) return;
    for (;;) {
      const rows = readAuditEventsAfter(this.deps.db, this.projectId, this.#head, PAGE);
      if (rows.length === 0) return;
      const batch: AuditBatch = { after: this.#head, last: rows.at(-1)!.id, rows, shared: new SharedJson(rows) };
      this.#head = batch.last;
      for (const listener of this.#listeners) listener(batch);
      if (rows.length < PAGE) return;
    }
  }
}

/** Listens to a project's audit feed; `head` is the last row id the feed has handed out so far. */
export function listenToAudit(deps: Deps, projectId: string, listener: Listener): { head: number; stop: () => void } {
  // One feed per project and connection, kept in the connection's state (see connection-state.ts).
  const byProject = deps.state.auditFeeds;
  const found = byProject.get(projectId);
  let feed = found instanceof AuditFeed ? found : undefined;
  if (!feed) {
    const created = new AuditFeed(deps, projectId, () => {
      if (byProject.get(projectId) === created) byProject.delete(projectId);
    });
    byProject.set(projectId, (feed = created));
  }
  const joined = feed;
  return {
    get head() {
      return joined.head;
    },
    stop: feed.add(listener),
  };
}

/** How many live tails a project's feed serves (for health figures and tests). */
export function auditTailCount(deps: Deps, projectId: string): number {
  const feed = deps.state.auditFeeds.get(projectId);
  return feed instanceof AuditFeed ? feed.listeners : 0;
}
