/**
 * 9. Policy checks: the compiled evaluation on its own (in this process, on a real SQLite file:
 * built-in checks with their reads, then 50 rules); an agent asking through the SDK
 * (`agent.authorize`) at 1,000 checks/s while agents ingest flat out, and on an idle server; a bare
 * `policy.check` over kept-alive HTTP during ingest; and a Claude Code PreToolUse hook end to end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { evaluatePolicy } from "@tower/api";
import { callerFor, createTestDeps } from "@tower/api/testing";
import { PolicyCheckInputSchema } from "@tower/shared";
import { log, QUICK, RUNS, sleep } from "../config";
import { names, spawnAll, split, yieldCpu } from "../load";
import { benchPolicy, benchRequest } from "../policy-fixture";
import { add, atMost } from "../results";
import { startServer, type BenchServer } from "../server";
import { percentile } from "../stats";

const B = "9. policy";
const CHECKS_PER_SECOND = 1_000;
const SECONDS = QUICK ? 5 : 10;
/** Seconds at the full rate before the measured ones (see roles/policy.ts). */
const WARMUP_SECONDS = 2;

/** The evaluation alone: the agent's registration checks (with their reads) and 50 compiled rules. */
async function measureEvaluation() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-policy-"));
  const { deps, close } = createTestDeps({ file: path.join(dir, "tower.sqlite") });
  try {
    const anonymous = callerFor(deps);
    await anonymous.auth.signUp({
      email: "bench@example.com",
      name: "Bench",
      password: "bench-password-123",
      setupCode: deps.setupCode,
    });
    const owner = callerFor(deps, { sessionToken: anonymous.cookies.token });
    const projectId = (await owner.auth.me()).memberships[0]!.projectId;
    await owner.agent.create({
      projectId,
      name: "coder",
      role: "coder",
      allowedTools: ["Read", "Write", "Edit", "Bash", "Grep", "web.*", "mcp__github__*"],
      pathScopes: ["src/**", "test/**", "docs/*.md"],
      budgetTokensPerSession: 1_000_000,
      budgetCostUsdPerDay: 1_000,
    });
    await owner.policy.save({ projectId, document: benchPolicy(["coder"]), expectedVersion: 0 });
    const requests = Array.from({ length: 1_000 }, (_, i) => PolicyCheckInputSchema.parse(benchRequest("coder", i)));
    const samples: number[] = [];
    const total = QUICK ? 20_000 : 100_000;
    for (let i = 0; i < total; i++) {
      const t = performance.now();
      evaluatePolicy(deps, projectId, requests[i % requests.length]!);
      samples.push(performance.now() - t);
    }
    const measured = samples.slice(total / 10); // the first tenth warms up (JIT, statements)
    return { p50: percentile(measured, 50), p99: percentile(measured, 99) };
  } finally {
    close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function savePolicy(server: BenchServer, agents: string[]) {
  const response = await fetch(`${server.url}/trpc/policy.save`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.adminKey}` },
    body: JSON.stringify({ document: benchPolicy(agents), expectedVersion: 0 }),
  });
  if (!response.ok) throw new Error(`policy.save failed: ${response.status} ${await response.text()}`);
}

type CheckerFigures = {
  p50: number;
  p99: number;
  sentP50: number;
  sentP99: number;
  rate: number;
  failed: number;
  firstFailure: string;
};

/** Checks at a steady rate (with `ingest`: while two flood workers ingest as fast as the server takes it). */
async function measureChecks(target: "sdk" | "http" | "hook", ingest: boolean) {
  const server = await startServer(`policy-${target}`);
  try {
    const fleet = names("flood", 10);
    const floods = ingest
      ? await spawnAll(
          split(fleet, 2).map((group) => ({
            role: "flood" as const,
            url: server.url,
            apiKey: server.apiKey,
            agents: group,
          })),
        )
      : [];
    // Two cores hold the server, the load and the checker: the load generators yield the CPU to the
    // others (nice 19), or the checker would fall behind its schedule and measure its own backlog.
    // They still take every cycle left, so ingest runs as fast as the server lets it.
    floods.forEach(yieldCpu);
    // The checker's own agent (a session of a flood agent would end the flood worker's).
    const agent = "checker";
    await fetch(`${server.url}/trpc/agent.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${server.apiKey}` },
      body: JSON.stringify({ name: agent, role: "worker" }),
    });
    await savePolicy(server, [...fleet, agent]);
    const [checker] = await spawnAll([
      {
        role: "checker",
        url: server.url,
        apiKey: server.apiKey,
        agent,
        perSecond: CHECKS_PER_SECOND,
        warmupSeconds: WARMUP_SECONDS,
        seconds: SECONDS,
        target,
      },
    ]);
    floods.forEach((w) => w.cmd("go"));
    if (ingest) await sleep(2_000); // ingest at full speed before the checks start
    const cpu0 = server.cpuMs();
    checker!.cmd("go");
    const figures = await checker!.next<CheckerFigures>("done", 120_000);
    const cpu = (server.cpuMs() - cpu0) / ((WARMUP_SECONDS + SECONDS) * 10);
    floods.forEach((w) => w.cmd("stop"));
    const ingested = await Promise.all(floods.map((w) => w.next<{ sent: number; ms: number }>("done", 120_000)));
    const ingestRate = ingested.reduce((sum, r) => sum + r.sent / (r.ms / 1000), 0);
    await Promise.all([checker!.exited, ...floods.map((w) => w.exited)]);
    if (figures.failed > 0) log(`policy ${target}: ${figures.failed} failed, first: ${figures.firstFailure}`);
    return { ...figures, ingestRate, cpu };
  } finally {
    await server.stop();
  }
}

export async function benchPolicyChecks() {
  for (let run = 1; run <= RUNS; run++) {
    const evaluation = await measureEvaluation();
    log(`policy run ${run}: evaluation p50 ${evaluation.p50.toFixed(4)} p99 ${evaluation.p99.toFixed(4)} ms`);
    add(B, "policy evaluation p50 (built-in checks + 50 rules)", "ms", evaluation.p50);
    add(B, "policy evaluation p99 (built-in checks + 50 rules)", "ms", evaluation.p99, atMost(1, "ms"));

    // As an agent asks (agent.authorize through the SDK) while agents ingest flat out: the target.
    const checks = await measureChecks("sdk", true);
    log(
      `policy run ${run}: agent.authorize at ${checks.rate.toFixed(0)}/s during ingest (${checks.ingestRate.toFixed(0)} items/s): p50 ${checks.p50.toFixed(2)} p99 ${checks.p99.toFixed(2)} ms from due, p50 ${checks.sentP50.toFixed(2)} p99 ${checks.sentP99.toFixed(2)} ms from sent, ${checks.failed} failed, server CPU ${checks.cpu.toFixed(0)} %`,
    );
    add(B, "policy check (agent.authorize) p50, 1,000/s during full ingest", "ms", checks.p50);
    add(B, "policy check (agent.authorize) p99, 1,000/s during full ingest", "ms", checks.p99, atMost(5, "ms"));
    add(B, "ingest rate during the checks", "items/s", checks.ingestRate);
    add(B, "policy checks failed", "calls", checks.failed, atMost(0, "calls"));

    // The same on an otherwise idle server (what ingest adds), and as a bare HTTP call during ingest
    // (what the SDK's client adds).
    const alone = await measureChecks("sdk", false);
    log(`policy run ${run}: agent.authorize, no ingest: p50 ${alone.p50.toFixed(2)} p99 ${alone.p99.toFixed(2)} ms`);
    add(B, "policy check (agent.authorize) p99, 1,000/s, no ingest", "ms", alone.p99);
    const http = await measureChecks("http", true);
    log(
      `policy run ${run}: policy.check over HTTP during ingest (${http.ingestRate.toFixed(0)} items/s): p50 ${http.p50.toFixed(2)} p99 ${http.p99.toFixed(2)} ms, server CPU ${http.cpu.toFixed(0)} %`,
    );
    add(B, "policy.check over HTTP p50, 1,000/s during full ingest", "ms", http.p50);
    add(B, "policy.check over HTTP p99, 1,000/s during full ingest", "ms", http.p99);

    const hook = await measureChecks("hook", false);
    log(
      `policy run ${run}: Claude Code hook at ${hook.rate.toFixed(0)}/s: p50 ${hook.p50.toFixed(2)} p99 ${hook.p99.toFixed(2)} ms, ${hook.failed} failed`,
    );
    add(B, "Claude Code PreToolUse hook end to end p50", "ms", hook.p50);
    add(B, "Claude Code PreToolUse hook end to end p99", "ms", hook.p99, atMost(50, "ms"));
    add(B, "Claude Code hook calls failed", "calls", hook.failed, atMost(0, "calls"));
  }
}
