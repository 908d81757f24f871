/**
 * Migration 0010: agents' reports keep their own time and a per-session sequence number beside the
 * order of commit. A database an older Tower left behind gets the columns at start; its rows, the
 * append-only guard and the chain's content stay as they were.
 */
import { afterEach, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client";
import { databaseMigratedThrough } from "./migration-fixtures";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function oldDatabaseWithReports() {
  const { file, old, cleanup } = databaseMigratedThrough("0009_audit-verified");
  old.exec(`
    insert into projects (id, name, created_at) values ('p1', 'P', 1);
    insert into agents (id, project_id, name, role, created_at, updated_at) values ('a1', 'p1', 'scout', 'r', 1, 1);
    insert into audit_events (project_id, at, actor_type, actor_id, actor_name, operation, target, decision,
      agent_id, session_id, detail, client_id, prev_hash, hash)
    values ('p1', 10, 'agent', 'a1', 'scout', 'tool_use', 'old', 'allowed', 'a1', 's-old', '{"reportedAt":7}',
      'old-evt-1', 'prev', 'hash');
    insert into metrics (project_id, client_id, agent_id, session_id, type, cost_source, at)
    values ('p1', 'old-met-1', 'a1', 's-old', 'execution', 'unpriced', 10);
  `);
  old.close();
  const handle: DbHandle = createDb(file);
  cleanups.push(() => handle.close(), cleanup);
  return handle;
}

it("a database from before gets the columns at start; its rows have none, and are unchanged", () => {
  const { sqlite } = oldDatabaseWithReports();
  expect(sqlite.prepare("select target, detail, hash, reported_at, seq from audit_events").all()).toEqual([
    { target: "old", detail: '{"reportedAt":7}', hash: "hash", reported_at: null, seq: null },
  ]);
  expect(sqlite.prepare("select client_id, at, seq from metrics").all()).toEqual([
    { client_id: "old-met-1", at: 10, seq: null },
  ]);
  // Still append-only.
  expect(() => sqlite.prepare("update audit_events set seq = 1").run()).toThrow(/append-only/);
});

it("a session's rows are read in the agent's order from the index, old rows by Tower's time", () => {
  const { sqlite } = oldDatabaseWithReports();
  const insert = sqlite.prepare(
    `insert into audit_events (project_id, at, actor_type, actor_id, actor_name, operation, target, agent_id,
       session_id, client_id, prev_hash, hash, reported_at, seq)
     values ('p1', ?, 'agent', 'a1', 'scout', 'tool_use', ?, 'a1', 's-new', ?, 'p', 'h', ?, ?)`,
  );
  // Committed out of the agent's order; `at` is Tower's time of commit.
  insert.run(100, "third", "new-3", 50, 3);
  insert.run(101, "first", "new-1", 40, 1);
  insert.run(102, "second", "new-2", 40, 2);
  sqlite
    .prepare(
      `insert into audit_events (project_id, at, actor_type, actor_name, operation, session_id, prev_hash, hash)
       values ('p1', 45, 'system', 'Tower', 'session.note', 's-new', 'p', 'h')`,
    )
    .run();
  const query = `select target from audit_events where project_id = 'p1' and session_id = ?
    order by coalesce(reported_at, at), coalesce(seq, 0), id`;
  expect(sqlite.prepare(query).pluck().all("s-new")).toEqual(["first", "second", "", "third"]);
  expect(sqlite.prepare(query).pluck().all("s-old")).toEqual(["old"]);
  const plan = sqlite.prepare(`explain query plan ${query}`).all("s-new") as { detail: string }[];
  expect(plan.map((step) => step.detail).join("\n")).toMatch(/USING INDEX audit_session_agent_order_idx/);
  expect(plan.map((step) => step.detail).join("\n")).not.toMatch(/TEMP B-TREE/);
});
