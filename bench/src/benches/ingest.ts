/**
 * 1. Ingest: 1, 10 and 100 SDK agents report BENCH_INGEST_EVENTS events as fast as the server
 * acknowledges them (after commit), each level on a fresh server; then raw better-sqlite3 inserting
 * the same rows, the floor the SDK's rate is compared with.
 */
import Database from "better-sqlite3";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { uuidv7 } from "uuidv7";
import { log, RUNS, SIZES } from "../config";
import { countRows, names, spawnAll, split } from "../load";
import { add, atLeast } from "../results";
import { startServer, variantsFor } from "../server";
import { nowMs } from "../stats";

/** The floor: better-sqlite3 inserting equivalent audit rows in 1,000-row transactions, same pragmas and indexes. */
function rawInsertRate(rows: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-raw-"));
  const db = new Database(path.join(dir, "raw.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(`CREATE TABLE scratch (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, at INTEGER NOT NULL,
    actor_type TEXT NOT NULL, actor_id TEXT, actor_name TEXT NOT NULL, operation TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '', decision TEXT, agent_id TEXT, session_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}', client_id TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    reported_at INTEGER, seq INTEGER);
    CREATE INDEX scratch_project_id_idx ON scratch (project_id, id);
    CREATE INDEX scratch_session_agent_order_idx ON scratch (session_id, coalesce(reported_at, at), coalesce(seq, 0), id)
      WHERE session_id IS NOT NULL;
    CREATE INDEX scratch_project_at_idx ON scratch (project_id, at);
    CREATE UNIQUE INDEX scratch_project_client_unique ON scratch (project_id, client_id);
    CREATE INDEX scratch_project_operation_decision_idx ON scratch (project_id, operation, decision, id);`);
  const insert = db.prepare(
    `INSERT INTO scratch (project_id, at, actor_type, actor_id, actor_name, operation, target, decision,
      agent_id, session_id, detail, client_id, prev_hash, hash, reported_at, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const projectId = randomUUID();
  const agentId = randomUUID();
  const sessionId = randomUUID();
  let prev = "0".repeat(64);
  const data = Array.from({ length: rows }, (_, i) => {
    const hash = createHash("sha256").update(`${prev}${i}`).digest("hex");
    const row = [
      projectId,
      Date.now(),
      "agent",
      agentId,
      "agent-0",
      "tool_use",
      `tool-${i % 50}`,
      "allowed",
      agentId,
      sessionId,
      JSON.stringify({ n: i }),
      uuidv7(), // the SDK's report id format
      prev,
      hash,
      Date.now(), // the agent's time and per-session sequence number, as the SDK sends them
      i + 1,
    ];
    prev = hash;
    return row;
  });
  const batch = db.transaction((chunk: unknown[][]) => {
    for (const row of chunk) insert.run(...row);
  });
  const started = nowMs();
  for (let i = 0; i < data.length; i += 1_000) batch(data.slice(i, i + 1_000));
  const seconds = (nowMs() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rows / seconds;
}

export async function benchIngest() {
  const B = "1. ingest";
  for (let run = 1; run <= RUNS; run++) {
    let best = 0;
    for (const [level, agents] of SIZES.concurrency.entries()) {
      for (const variant of variantsFor(run + level)) {
        const server = await startServer("ingest", variant.server);
        try {
          const perAgent = Math.ceil(SIZES.ingestEvents / agents);
          const total = perAgent * agents;
          const workers = await spawnAll(
            split(names("agent", agents), Math.min(4, agents)).map((group) => ({
              role: "ingest" as const,
              url: server.url,
              apiKey: server.apiKey,
              agents: group,
              perAgent,
            })),
          );
          const cpu0 = server.cpuMs();
          const t0 = nowMs();
          workers.forEach((w) => w.cmd("go"));
          const done = await Promise.all(workers.map((w) => w.next<{ acked: number; dropped: number }>("done")));
          const seconds = (nowMs() - t0) / 1000;
          const cpu = (server.cpuMs() - cpu0) / 10 / seconds;
          const acked = done.reduce((s, d) => s + d.acked, 0);
          const storedRows = countRows(server, "SELECT count(*) FROM audit_events WHERE client_id IS NOT NULL");
          if (storedRows !== total || acked !== total)
            log(`ingest ${agents} agents: expected ${total}, acknowledged ${acked}, stored ${storedRows}`);
          const rate = storedRows / seconds;
          if (variant.shipped) best = Math.max(best, rate);
          log(
            `ingest run ${run}, ${agents} agents${variant.suffix}: ${Math.round(rate)} events/s (${storedRows}/${total} stored, server CPU ${Math.round(cpu)} %)`,
          );
          const who = `${agents} agent${agents > 1 ? "s" : ""}${variant.suffix}`;
          add(B, `SDK over HTTP, ${who}`, "events/s", rate, variant.shipped ? atLeast(50_000, "events/s") : undefined);
          add(B, `server CPU, ${who}`, "% of a core", cpu);
          if (variant.shipped && agents === SIZES.concurrency.at(-1))
            add(B, "events stored / sent (last level)", "%", (100 * storedRows) / total, atLeast(100, "%"));
          await Promise.all(workers.map((w) => w.exited));
        } finally {
          await server.stop();
        }
      }
    }
    const raw = rawInsertRate(SIZES.ingestEvents);
    log(`raw better-sqlite3: ${Math.round(raw)} rows/s`);
    add(B, "raw better-sqlite3, 1,000-row transactions", "rows/s", raw);
    add(B, "best SDK rate / raw rate", "%", (100 * best) / raw, atLeast(25, "%"));
  }
}
