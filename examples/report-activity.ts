// Starts an agent with a small daily budget, reports ~20 audit events (two of them denied) and
// ~20 metrics over a few seconds, which pushes it over its budget, then shuts down.
//   TOWER_API_KEY=tower_… pnpm --filter @tower/examples report-activity [name] [--once]
// With --once it reports a single event and exits (handy for watching the dashboard's live tail).
import { createTowerClient } from "@tower/sdk";
import { towerProblem } from "./tower-problem";

const apiKey = process.env.TOWER_API_KEY;
if (!apiKey) {
  console.error("Set TOWER_API_KEY to a project API key (Settings → API keys in the dashboard).");
  process.exit(2);
}

const args = process.argv.slice(2);
const once = args.includes("--once");
const name = args.find((arg) => !arg.startsWith("--")) ?? "activity-agent";
const DAILY_BUDGET_USD = 0.05;
const STEPS = 20;

const url = process.env.TOWER_URL ?? "http://localhost:3001";
const tower = createTowerClient({
  url,
  apiKey,
  reporting: { flushIntervalMs: 100 },
});
const agent = tower.agent(name, {
  profile: {
    role: "reporter",
    category: "examples",
    description: "Reports activity from examples/report-activity.ts",
    allowedTools: ["web.search", "fs.read"],
    budgetCostUsdPerDay: DAILY_BUDGET_USD,
    budgetTokensPerSession: 15_000,
    tags: ["example"],
  },
});
agent.on("budget", ({ over }) => console.log(over ? `"${name}" is over budget` : `"${name}" is back under budget`));
agent.on("error", (error) => console.error(`Report failed: ${error.message}`));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  await agent.start();
  if (once) {
    agent.event({ operation: "file_access", target: "notes/after-the-run.md", decision: "allowed" });
    console.log(`Reported one event for "${name}"`);
  } else {
    for (let i = 0; i < STEPS; i++) {
      const denied = i === 6 || i === 13;
      agent.event({
        operation: i % 3 === 0 ? "api_call" : "tool_use",
        target: denied ? "shell.exec" : i % 3 === 0 ? "https://api.example.test/search" : "web.search",
        decision: denied ? "denied" : "allowed",
        detail: { step: i, ...(denied ? { reason: "tool not in allowedTools" } : {}) },
      });
      const success = i % 7 !== 5;
      agent.metric({
        type: "execution",
        executionMs: 80 + ((i * 37) % 400),
        success,
        tokensIn: 500,
        tokensOut: 200,
        model: i % 2 === 0 ? "gpt-4o" : "gpt-4o-mini",
        // 20 × $0.004 = $0.08, well over the $0.05 daily budget.
        costUsd: 0.004,
      });
      await sleep(150);
    }
    console.log(`Reported ${STEPS} events and ${STEPS} metrics for "${name}"`);
  }
} catch (error) {
  console.error(towerProblem(error, url));
  process.exitCode = 1;
} finally {
  await tower.shutdown();
}
