import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { verifyAudit } from "@tower/api";
import { appendAuditRows, callerFor, createTestDeps } from "@tower/api/testing";
import { createDb } from "@tower/db";
import { createTowerClient } from "@tower/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startServerProcess } from "./server-process";

/**
 * `audit.verify` on a long chain, against the real server process: the walk runs on the reader
 * thread, so the event loop keeps answering. The figures are printed, not asserted (timings
 * depend on the machine); what is asserted is what each verify read.
 */
const ROWS = 100_000;
const dir = mkdtempSync(path.join(os.tmpdir(), "tower-verify-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Polls /healthz every 5 ms while `work` runs; the slowest answer is how long the loop was held.
 * (Back to back, the probes would take a core from the walk on a two-core machine.)
 */
async function healthzDuring<T>(url: string, work: Promise<T>) {
  const latencies: number[] = [];
  let done = false;
  const probing = (async () => {
    while (!done) {
      const started = performance.now();
      await (await fetch(`${url}/healthz`)).text();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const started = performance.now();
  const result = await work;
  const ms = performance.now() - started;
  done = true;
  await probing;
  latencies.sort((a, b) => a - b);
  return {
    result,
    ms,
    probes: latencies.length,
    max: latencies.at(-1) ?? 0,
    p50: latencies[latencies.length >> 1] ?? 0,
  };
}

const f = (ms: number) => `${ms.toFixed(1)} ms`;

describe("audit.verify on 100,000 rows", () => {
  it("walks off the event loop, re-reads only new rows, and the last head is signed at shutdown", async () => {
    const file = path.join(dir, "tower.sqlite");
    const env = createTestDeps({ file });
    const anonymous = callerFor(env.deps);
    await anonymous.auth.signUp({
      email: "owner@example.com",
      name: "Owner",
      password: "correct horse battery staple",
      setupCode: env.deps.setupCode,
    });
    const owner = callerFor(env.deps, { sessionToken: anonymous.cookies.token });
    const { projectId } = (await owner.project.list())[0]!;
    const key = await owner.apiKey.create({ projectId, name: "auditor", scopes: ["admin"] });
    appendAuditRows(env.sqlite, projectId, ROWS);
    // What every call cost before: the same walk, synchronously, on the event loop.
    const started = performance.now();
    expect(verifyAudit(env.deps.db, projectId)).toMatchObject({ intact: true });
    const onTheLoop = performance.now() - started;
    env.close();

    const server = await startServerProcess(file, await freePort());
    const client = createTowerClient({ url: server.url, apiKey: key.secret });
    try {
      const idle = await healthzDuring(server.url, new Promise((resolve) => setTimeout(resolve, 500)));
      const full = await healthzDuring(server.url, client.api.audit.verify.query({ full: true }));
      // (The owner's sign-up rows, dated by the test clock, may have been pruned by retention at start.)
      expect(full.result).toMatchObject({ intact: true, full: true, checked: full.result.rows });
      expect(full.result.rows).toBeGreaterThanOrEqual(ROWS);

      // Again, with the thread's code compiled and its page cache warm.
      const warm = await healthzDuring(server.url, client.api.audit.verify.query({ full: true }));
      expect(warm.result).toMatchObject({ intact: true, checked: full.result.rows });

      const none = await healthzDuring(server.url, client.api.audit.verify.query({}));
      expect(none.result).toMatchObject({ intact: true, full: false, checked: 0 });

      const writer = createDb(file);
      appendAuditRows(writer.sqlite, projectId, 1_000);
      writer.close();
      const some = await healthzDuring(server.url, client.api.audit.verify.query({}));
      expect(some.result).toMatchObject({ intact: true, full: false, checked: 1_000, rows: full.result.rows + 1_000 });

      console.log(
        [
          `audit.verify, ${ROWS.toLocaleString("en")} rows, real server process:`,
          `  full, first (cold thread): ${f(full.ms)}; full again: ${f(warm.ms)}`,
          `  incremental, 1,000 new rows: ${f(some.ms)}; incremental, none new: ${f(none.ms)}`,
          `  /healthz during the first full verify: max ${f(full.max)}, p50 ${f(full.p50)} over ${full.probes} probes;` +
            ` during the second: max ${f(warm.max)}, p50 ${f(warm.p50)} over ${warm.probes}` +
            ` (idle: max ${f(idle.max)}, p50 ${f(idle.p50)})`,
          `  the same walk on the event loop (verify before): ${f(onTheLoop)} with nothing else served`,
        ].join("\n"),
      );
    } finally {
      client.close();
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toMatchObject({ code: 0 });

    // The head signed at shutdown covers the last row.
    const heads = readFileSync(path.join(dir, "audit-heads.jsonl"), "utf8").trim().split("\n");
    const last = heads
      .map((line) => JSON.parse(line) as { projectId: string; throughId: number })
      .filter((h) => h.projectId === projectId)
      .at(-1);
    const check = createDb(file);
    const lastId = check.sqlite.prepare("select max(id) from audit_events where project_id = ?").pluck().get(projectId);
    check.close();
    expect(last?.throughId).toBe(lastId);
  }, 120_000);
});
