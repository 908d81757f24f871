import { projects } from "@tower/db";
import { DEFAULT_POLICY, type AgentCreate, type IdentityFile, type PolicyDocument } from "@tower/shared";
import { eq } from "drizzle-orm";
import { registerAgent } from "../agents/agent-service";
import { importIdentities } from "../agents/identity-import";
import { SYSTEM_ACTOR } from "../core/actor";
import type { Deps } from "../core/deps";
import { newId } from "../core/tokens";
import { currentVersionNumber, savePolicy } from "../policy/policy-store";
import { ensureDemoWork } from "./demo-work";

export const DEMO_PROJECT_NAME = "Demo fleet";

const demoAgents: Pick<
  AgentCreate,
  "name" | "role" | "category" | "description" | "allowedTools" | "pathScopes" | "tags"
>[] = [
  {
    name: "scout",
    role: "researcher",
    category: "research",
    description: "Finds and summarises sources for a question.",
    allowedTools: ["web.search", "web.fetch"],
    pathScopes: ["notes/**"],
    tags: ["demo"],
  },
  {
    name: "builder",
    role: "coder",
    category: "engineering",
    description: "Writes code and opens pull requests.",
    allowedTools: ["fs.read", "fs.write", "git"],
    pathScopes: ["src/**", "test/**"],
    tags: ["demo"],
  },
  {
    name: "critic",
    role: "reviewer",
    category: "engineering",
    description: "Reviews changes before they merge.",
    allowedTools: ["fs.read", "git"],
    pathScopes: ["src/**"],
    tags: ["demo"],
  },
  {
    name: "concierge",
    role: "support",
    category: "support",
    description: "Answers customer questions from the help centre.",
    allowedTools: ["kb.search", "ticket.reply"],
    pathScopes: [],
    tags: ["demo"],
  },
];

/** One rule, so the demo fleet's occasional deploys fill the Approvals inbox. */
const demoPolicy: PolicyDocument = {
  ...DEFAULT_POLICY,
  rules: [
    {
      id: "approve-deploys",
      description: "Deploys wait for a person (the demo fleet asks for one now and then).",
      match: { operations: ["deploy"] },
      effect: "require_approval",
      reason: "Deploys to production need an operator's yes",
    },
  ],
};

/** The demo policy, when the demo project has never saved one (new, or seeded before policies). */
function ensureDemoPolicy(deps: Deps, projectId: string) {
  if (currentVersionNumber(deps.state, deps.db, projectId) === 0)
    savePolicy(deps, projectId, demoPolicy, 0, SYSTEM_ACTOR);
}

/**
 * Creates the demo project once, with a few hand-written agents plus the identity files given
 * (the generated demo fleet), a policy that asks approval for deploys, and work for the fleet (a
 * few tasks, one on a schedule, and a workflow: demo-work.ts); later calls change nothing (but
 * give a demo project seeded before policies or work existed its policy and its work).
 */
export function ensureDemoProject(
  deps: Deps,
  identityFiles: IdentityFile[] = [],
): { projectId: string; created: boolean } {
  const existing = deps.db.select({ id: projects.id }).from(projects).where(eq(projects.isDemo, true)).get();
  if (existing) {
    ensureDemoPolicy(deps, existing.id);
    ensureDemoWork(deps, existing.id);
    return { projectId: existing.id, created: false };
  }
  const projectId = newId();
  deps.db
    .insert(projects)
    .values({ id: projectId, name: DEMO_PROJECT_NAME, isDemo: true, createdAt: deps.clock.now() })
    .run();
  for (const agent of demoAgents) registerAgent(deps, projectId, agent, SYSTEM_ACTOR);
  if (identityFiles.length > 0) importIdentities(deps, projectId, identityFiles, SYSTEM_ACTOR);
  ensureDemoPolicy(deps, projectId);
  ensureDemoWork(deps, projectId);
  return { projectId, created: true };
}
