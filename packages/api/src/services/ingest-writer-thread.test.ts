import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, type DbHandle } from "@tower/db";
import type { ChangeEvent } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Deps } from "../context";
import { callerFor, createTestDeps } from "../testing";
import { signUpUser } from "../test-fixtures";
import { prepareToPublish, publishChanges, recordChange } from "./change-feed";
import { checkReports, createIngestWriter, ingestReports, type IngestWriter } from "./ingest-service";
import { startIngestWriterThread } from "./ingest-writer-thread";

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

  it("leaves the server's event loop free while it commits", async () => {
    const inProcess = await turnsDuring(ingestReports(deps, projectId, reports(500, "b")));
    const threaded = await turnsDuring(ingestReports({ ...deps, ingestWriter: thread }, projectId, reports(500, "c")));
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

describe("publishing changes committed by two connections", () => {
  it("goes in id order, each once, even when the other connection's notice arrives late", () => {
    const other = createDb(path.join(dir, "tower.sqlite"));
    opened.push(other);
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
    const early = other.db.transaction((tx) => recordChange(tx, change("early")));
    const late = deps.db.transaction((tx) => recordChange(tx, change("late")));
    publishChanges(deps, [late]);
    expect(seen).toEqual([early.id, late.id]);

    publishChanges(deps, [early]);
    const next = deps.db.transaction((tx) => recordChange(tx, change("next")));
    publishChanges(deps, [next]);
    expect(seen).toEqual([early.id, late.id, next.id]);
    stop();
  });
});

it("the in-process writer also waits for submitted batches on close", async () => {
  const writer = createIngestWriter(deps.db);
  const pending = writer.submit({ projectId, items: checkReports(reports(10, "f")), now: Date.now() });
  await writer.close();
  await expect(pending).resolves.toMatchObject({ result: { stored: 20 } });
});
