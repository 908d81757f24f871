import { agents, teams } from "@tower/db";
import { LIMITS } from "@tower/shared";
import { beforeEach, describe, expect, it } from "vitest";
import { countAgents, createWorld, expectTRPCError, type World } from "../test-fixtures";
import { agentCount, AGENT_CAP_MESSAGE } from "./project-caps";

let world: World;
let projectId: string;
const owner = () => world.users.owner.caller;

beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
});

/** Rows written straight to the table: the caps count rows, however they came. */
function fillAgents(total: number) {
  const rows = Array.from({ length: total - countAgents(world.deps, projectId) }, (_, i) => ({
    id: `filler-${i}`,
    projectId,
    name: `filler-${i}`,
    role: "worker",
    createdAt: 1,
    updatedAt: 1,
  }));
  world.deps.db.transaction((tx) => {
    for (let i = 0; i < rows.length; i += 500)
      tx.insert(agents)
        .values(rows.slice(i, i + 500))
        .run();
  });
}

describe("per-project caps", () => {
  it(`agents: the ${LIMITS.projectAgents.toLocaleString("en-US")}th is created, the next is refused on every path`, async () => {
    fillAgents(LIMITS.projectAgents - 1);
    await owner().agent.create({ projectId, name: "last-one", role: "worker" });
    expect(countAgents(world.deps, projectId)).toBe(LIMITS.projectAgents);

    const refusal = await expectTRPCError(
      owner().agent.create({ projectId, name: "one-too-many", role: "worker" }),
      "FORBIDDEN",
      AGENT_CAP_MESSAGE,
    );
    expect(refusal.message).toMatch(/at most 10,000 agents/);
    // An SDK starting as a new agent registers it: refused the same way.
    const sdk = world.as({ apiKey: world.keys.manage.secret });
    await expectTRPCError(
      sdk.session.start({ name: "new-from-sdk", profile: { role: "worker" } }),
      "FORBIDDEN",
      AGENT_CAP_MESSAGE,
    );
    expect(countAgents(world.deps, projectId)).toBe(LIMITS.projectAgents);

    // Another project is not affected, and deleting one makes room again.
    await world.users.foreignOwner.caller.agent.create({
      projectId: world.foreignProjectId,
      name: "elsewhere",
      role: "worker",
    });
    await owner().agent.delete({ projectId, id: "filler-0" });
    await owner().agent.create({ projectId, name: "one-too-many", role: "worker" });
  });

  it("agents: an import past the cap creates what fits and rejects the rest one by one", async () => {
    fillAgents(LIMITS.projectAgents - 2);
    const content = JSON.stringify([
      { name: "home-agent", role: "coder", description: "updated by the import" },
      { name: "new-1", role: "worker" },
      { name: "new-2", role: "worker" },
      { name: "new-3", role: "worker" },
    ]);
    const report = await owner().agent.import({ projectId, files: [{ name: "fleet.json", content }] });
    expect(report.files[0]!.agents).toEqual([
      { name: "home-agent", outcome: "updated" },
      { name: "new-1", outcome: "created" },
      { name: "new-2", outcome: "created" },
      { name: "new-3", outcome: "rejected", reason: AGENT_CAP_MESSAGE },
    ]);
    expect(report.totals).toMatchObject({ created: 2, updated: 1, rejected: 1 });
    expect(agentCount(world.deps.state, world.deps.db, projectId)).toBe(LIMITS.projectAgents);
  });

  it(`API keys: at most ${LIMITS.projectApiKeys} working ones; revoked keys do not count`, async () => {
    const create = (name: string) => owner().apiKey.create({ projectId, name, scopes: ["read"] });
    const live = (await owner().apiKey.list({ projectId })).filter((key) => key.revokedAt === null).length;
    const made = [];
    for (let i = live; i < LIMITS.projectApiKeys; i++) made.push(await create(`key-${i}`));
    const refusal = await expectTRPCError(create("one-too-many"), "FORBIDDEN", /at most 100 working API keys/);
    expect(refusal.message).toMatch(/revoke one first/);
    await owner().apiKey.revoke({ projectId, id: made[0]!.id });
    await create("one-too-many");
  });

  it(`invites: at most ${LIMITS.projectOpenInvites} open ones; a revoked invite does not count`, async () => {
    const open = (await owner().invite.list({ projectId })).length;
    const made = [];
    for (let i = open; i < LIMITS.projectOpenInvites; i++)
      made.push(await owner().invite.create({ projectId, role: "viewer" }));
    await expectTRPCError(
      owner().invite.create({ projectId, role: "viewer" }),
      "FORBIDDEN",
      /at most 100 open invites/,
    );
    await owner().invite.revoke({ projectId, id: made[0]!.id });
    await owner().invite.create({ projectId, role: "viewer" });
  });

  it(`teams: at most ${LIMITS.projectTeams.toLocaleString("en-US")}`, async () => {
    const rows = Array.from({ length: LIMITS.projectTeams - 1 }, (_, i) => ({
      id: `team-${i}`,
      projectId,
      name: `team-${i}`,
      roleMix: { worker: 1 },
      createdAt: 1,
      updatedAt: 1,
    }));
    world.deps.db.transaction((tx) => {
      for (let i = 0; i < rows.length; i += 500)
        tx.insert(teams)
          .values(rows.slice(i, i + 500))
          .run();
    });
    await owner().team.create({ projectId, name: "last-team", roleMix: { worker: 1 } });
    await expectTRPCError(
      owner().team.create({ projectId, name: "one-too-many", roleMix: { worker: 1 } }),
      "FORBIDDEN",
      /at most 1,000 teams; delete one first/,
    );
  });
});
