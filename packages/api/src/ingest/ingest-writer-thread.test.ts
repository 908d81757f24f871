import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, WriteGate, type DbHandle } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareToPublish, publishChanges, recordChange } from "../core/change-feed";
import { createConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import { DomainError } from "../core/errors";
import type { IngestWriter } from "../core/ports";
import { signUpUser } from "../test-fixtures";
import { callerFor, createTestDeps } from "../testing";
import { createIngestWriter } from "./group-commit";
import { checkReports } from "./check-reports";
import { ingestReports } from "./ingest-service";
import { RawReports } from "./raw-reports";
import { startIngestWriterThread, WRITER_NICE } from "./ingest-writer-thread";

let dir: string;
let env: ReturnType<typeof createTestDeps>;
let deps: Deps;
let projectId: string;
let thread: IngestWriter;
const opened: DbHandle[] = [];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-writer-"));
  const file = path.join(dir, "tower.sqlite");
  env = createTestDeps({ file });
  deps = env.deps;
  const owner = await signUpUser(deps, "owner@example.com", "Olivia Owner");
  projectId = (await owner.caller.project.list())[0]!.projectId;
  await callerFor(deps, { sessionToken: owner.token }).agent.create({ projectId, name: "writer", role: "coder" });
  thread = await startIngestWriterThread({ file, logger: deps.logger, execArgv: [] });
});

afterEach(async () => {
  await thread.close();
  for (const handle of opened.splice(0)) handle.close();
  env.close();
  rmSync(dir, { recursive: true, force: true });
});

const reports = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => [
    { kind: "event", id: `${prefix}-event-${i}`, agent: "writer", operation: "tool_use", target: `t${i % 7}` },
    { kind: "metric", id: `${prefix}-metric-${i}`, agent: "writer", type: "execution", executionMs: i, success: true },
  ]).flat();

/** Event-loop turns of this thread while `work` is pending: zero when the work holds the thread. */
async function turnsDuring(work: Promise<unknown>) {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await work;
  done = true;
  return turns;
}

describe("the ingest writer thread", () => {
  it("stores reports on its own connection and answers item by item, like the in-process writer", async () => {
    const threaded = { ...deps, ingestWriter: thread };
    const changes: ChangeEvent[] = [];
    const stop = deps.bus.subscribe(projectId, (event) => changes.push(event));
    const items = [...reports(200, "a"), { kind: "event", id: "bad-report", agent: "nobody", operation: "x" }];

    const answer = await ingestReports(threaded, projectId, items);
    expect(answer).toMatchObject({ stored: 400, duplicates: 0, rejected: 1 });
    expect(answer.results.at(-1)).toMatchObject({
      id: "bad-report",
      status: "rejected",
      reason: expect.stringContaining("nobody"),
    });
    // Visible at once on the server's own connection, and the agent's new counters were published.
    expect(env.sqlite.prepare("select count(*) from audit_events where client_id like 'a-%'").pluck().get()).toBe(200);
    expect(env.sqlite.prepare("select count(*) from metrics where client_id like 'a-%'").pluck().get()).toBe(200);
    expect(changes.filter((e) => e.entity === "agent").at(-1)?.data).toMatchObject({ name: "writer", runsCount: 200 });

    // The same reports again are duplicates, whichever writer sees them.
    const again = await ingestReports(deps, projectId, reports(200, "a"));
    expect(again).toMatchObject({ stored: 0, duplicates: 400 });
    stop();
  });

  it("parses and checks a raw body on its own thread; a body that is not a batch is refused as the caller's BAD_REQUEST", async () => {
    const threaded = { ...deps, ingestWriter: thread };
    const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));
    const items = [...reports(50, "r"), { kind: "event", id: "raw-bad-1", agent: "writer", operation: "Not Valid!" }];
    const answer = await ingestReports(threaded, projectId, new RawReports(encode({ items }), items.length));
    expect(answer).toMatchObject({ stored: 100, rejected: 1 });
    expect(answer.results.at(-1)).toMatchObject({ id: "raw-bad-1", status: "rejected", reason: /operation/ });
    const refused = ingestReports(threaded, projectId, new RawReports(encode([items[0]]), 1));
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/expected object/i),
    });
  });

  it.runIf(process.platform === "linux")("runs at a lower priority than the event loop, which keeps its own", () => {
    // Each thread is a task of the process, with its own nice value (field 19 of its stat line).
    const niceOf = (task: string) => {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    };
    const tasks = readdirSync("/proc/self/task");
    const mainNice = niceOf(String(process.pid));
    expect(mainNice).toBeLessThan(WRITER_NICE);
    expect(tasks.filter((task) => niceOf(task) === WRITER_NICE).length).toBeGreaterThanOrEqual(1);
  });

  it("leaves the server's event loop free while it commits", async () => {
    // The writers alone (checking reports takes turns of its own, see core/bulk-lane.ts).
    const store = (writer: IngestWriter, prefix: string) =>
      writer.submit({ projectId, items: checkReports(reports(500, prefix)), now: Date.now() });
    const inProcess = await turnsDuring(store(deps.ingestWriter, "b"));
    const threaded = await turnsDuring(store(thread, "c"));
    // In process, the whole commit is one synchronous stretch; on the thread the loop keeps turning.
    expect(inProcess).toBeLessThan(5);
    expect(threaded).toBeGreaterThan(Math.max(20, inProcess * 10));
  });

  it("stops cleanly: close waits for submitted batches, and later ones are refused", async () => {
    const writer = await startIngestWriterThread({
      file: path.join(dir, "tower.sqlite"),
      logger: deps.logger,
      execArgv: [],
    });
    const pending = writer.submit({ projectId, items: checkReports(reports(100, "d")), now: Date.now() });
    await writer.close();
    await expect(pending).resolves.toMatchObject({ result: { stored: 200 } });
    await expect(writer.submit({ projectId, items: checkReports(reports(1, "e")), now: Date.now() })).rejects.toThrow(
      /shutting down/,
    );
  });
});

describe("writes of the server's own connection while the thread ingests", () => {
  /** Three producers ingest batches of 150 events and 150 metrics back to back until stopped. */
  function keepIngesting(target: Deps) {
    let stop = false;
    let batch = 0;
    const producers = Array.from({ length: 3 }, async (_, p) => {
      while (!stop) await ingestReports(target, projectId, reports(150, `load-${p}-${batch++}`));
    });
    return async () => {
      stop = true;
      await Promise.all(producers);
    };
  }

  /** Audit rows the thread committed between just before a write of `db` and the moment it holds the lock. */
  async function rowsCommittedWhileWaiting(db: DbHandle["db"]) {
    const rows = () => db.$client.prepare("select count(*) from audit_events").pluck().get() as number;
    const counts: number[] = [];
    for (let i = 0; i < 30; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const before = rows();
      counts.push(db.transaction(() => rows()) - before);
    }
    return counts;
  }

  it("go first: they wait at most for the thread's transaction in progress, not for a run of them", async () => {
    const file = path.join(dir, "tower.sqlite");
    const gate = new WriteGate();
    const first = createDb(file, { writesFirst: gate });
    opened.push(first);
    const gated = await startIngestWriterThread({ file, logger: deps.logger, execArgv: [], writeGate: gate });
    const stop = keepIngesting({ ...deps, db: first.db, state: createConnectionState(), ingestWriter: gated });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const counts = await rowsCommittedWhileWaiting(first.db);
    await stop();
    await gated.close();
    // 150 events a batch, one batch a transaction: the one in progress and, at worst, one that began
    // just before the gate rose. Without the gate the thread went on through the queued batches (450).
    expect(Math.max(...counts)).toBeLessThanOrEqual(300);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // the thread was busy meanwhile
  });
});

describe("publishing changes committed by two connections", () => {
  it("goes in id order, each once, even when the other connection's notice arrives late", () => {
    const other = createDb(path.join(dir, "tower.sqlite"));
    opened.push(other);
    const otherState = createConnectionState();
    const seen: string[] = [];
    const stop = deps.bus.subscribe(projectId, (event) => seen.push(event.id));
    prepareToPublish(deps);
    const change = (entityId: string) => ({
      projectId,
      entity: "team" as const,
      op: "updated" as const,
      at: Date.now(),
      data: { id: entityId, name: entityId } as never,
    });

    // The other connection commits first; its notice is still on its way when this one commits.
    const early = other.db.transaction((tx) => recordChange(otherState, tx, change("early")));
    const late = deps.db.transaction((tx) => recordChange(deps.state, tx, change("late")));
    publishChanges(deps, [late]);
    expect(seen).toEqual([early.id, late.id]);

    publishChanges(deps, [early]);
    const next = deps.db.transaction((tx) => recordChange(deps.state, tx, change("next")));
    publishChanges(deps, [next]);
    expect(seen).toEqual([early.id, late.id, next.id]);
    stop();
  });
});

it("the in-process writer also waits for submitted batches on close", async () => {
  const writer = createIngestWriter(deps.db, deps.state);
  const pending = writer.submit({ projectId, items: checkReports(reports(10, "f")), now: Date.now() });
  await writer.close();
  await expect(pending).resolves.toMatchObject({ result: { stored: 20 } });
});
