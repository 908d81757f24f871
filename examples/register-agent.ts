// Registers an agent with Tower using a project API key, then prints what Tower stored.
//   TOWER_API_KEY=tower_… pnpm --filter @tower/examples register-agent [name]
import { createTowerClient } from "@tower/sdk";
import { towerProblem } from "./tower-problem";

const apiKey = process.env.TOWER_API_KEY;
if (!apiKey) {
  console.error("Set TOWER_API_KEY to a project API key (Settings → API keys in the dashboard).");
  process.exit(2);
}

const url = process.env.TOWER_URL ?? "http://localhost:3001";
const tower = createTowerClient({ url, apiKey });
const name = process.argv[2] ?? "example-agent";

try {
  const agent = await tower.api.agent.register.mutate({
    name,
    role: "researcher",
    category: "research",
    description: "Registered by examples/register-agent.ts",
    allowedTools: ["web.search"],
    pathScopes: ["notes/**"],
    tags: ["example"],
  });
  console.log(`Registered agent "${agent.name}" (${agent.id}), status ${agent.status}`);
} catch (error) {
  console.error(towerProblem(error, url));
  process.exitCode = 1;
} finally {
  tower.close();
}
