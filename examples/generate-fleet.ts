// Writes the demo fleet: ~200 agent identities in YAML and JSON files under examples/fleet/.
// Deterministic, so regenerating changes nothing:  pnpm --filter @tower/examples generate-fleet
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

const teams = [
  {
    file: "research",
    category: "research",
    roles: ["researcher", "analyst"],
    tools: ["web.search", "web.fetch", "notes.write"],
    scopes: ["notes/**", "reports/*.md"],
  },
  {
    file: "engineering",
    category: "engineering",
    roles: ["coder", "reviewer", "tester"],
    tools: ["fs.read", "fs.write", "git", "shell.test"],
    scopes: ["src/**", "test/**"],
  },
  {
    file: "support",
    category: "support",
    roles: ["support", "triager"],
    tools: ["kb.search", "ticket.reply", "ticket.tag"],
    scopes: [],
  },
  {
    file: "data",
    category: "data",
    roles: ["analyst", "etl"],
    tools: ["sql.query", "fs.read", "charts.render"],
    scopes: ["data/**/*.csv", "warehouse/**"],
  },
  {
    file: "operations",
    category: "ops",
    roles: ["planner", "monitor"],
    tools: ["metrics.read", "pager.notify", "runbook.read"],
    scopes: ["runbooks/**"],
  },
];
const adjectives = ["amber", "brisk", "cobalt", "dusky", "ember", "frost", "gilded", "hazel", "ivory", "jade"];
const animals = ["otter", "falcon", "lynx", "heron", "badger", "marten", "osprey", "ibex"];
const owners = ["ana@example.com", "bo@example.com", "chen@example.com", "dara@example.com"];

const outDir = path.join(import.meta.dirname, "fleet");
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

let n = 0;
for (const [t, team] of teams.entries()) {
  // Each area is split into two files: one YAML (`agents:` list), one JSON (a plain array).
  const agents = Array.from({ length: 40 }, (_, i) => {
    const role = team.roles[i % team.roles.length]!;
    const name = `${team.file}-${adjectives[(i + t) % adjectives.length]}-${animals[(i * 3 + t) % animals.length]}-${String(i + 1).padStart(2, "0")}`;
    n++;
    return {
      name,
      role,
      category: team.category,
      description: `${role[0]!.toUpperCase()}${role.slice(1)} in the ${team.file} area (demo agent ${n}).`,
      version: `1.${i % 4}.0`,
      owner: owners[(i + t) % owners.length]!,
      capabilities: [role, team.category, ...(i % 5 === 0 ? ["long-running"] : [])],
      allowedTools: team.tools.slice(0, 2 + (i % 2)),
      pathScopes: [...team.scopes],
      budgetTokensPerSession: 50_000 + (i % 4) * 25_000,
      budgetCostUsdPerDay: 5 + (i % 5) * 5,
      tags: ["demo", team.file, ...(i % 7 === 0 ? ["canary"] : [])],
      metadata: { tier: i % 3 === 0 ? "gold" : "standard" },
    };
  });
  writeFileSync(path.join(outDir, `${team.file}-a.yaml`), stringify({ agents: agents.slice(0, 20) }));
  writeFileSync(path.join(outDir, `${team.file}-b.json`), `${JSON.stringify(agents.slice(20), null, 2)}\n`);
}
console.log(`Wrote ${n} agent identities to ${path.relative(process.cwd(), outDir)}/`);
