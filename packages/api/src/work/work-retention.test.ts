import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, type TestCaller, type World } from "../test-fixtures";
import { claimRuns } from "./run-claim";
import { findAgentByName } from "../agents/agent-writes";
import { pruneWork } from "./work-retention";

let world: World;
let owner: TestCaller;
let projectId: string;
const DAY = 86_400_000;

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  projectId = world.projectId;
});
afterEach(() => world.close());

const statusOf = (id: string) =>
  (world.sqlite.prepare("select status from runs where id = ?").pluck().get(id) as string | undefined) ?? "gone";
const logLines = (id: string) => world.sqlite.prepare("select count(*) from run_logs where run_id = ?").pluck().get(id);

describe("pruneWork", () => {
  it("deletes finished runs (and their logs) past retention, never queued or held ones, however old", async () => {
    await owner.task.create({ projectId, name: "job", target: { kind: "agent", value: "home-agent" } });
    const { ids } = await owner.task.enqueueMany({ projectId, task: "job", runs: [{}, {}, {}] });
    const agent = findAgentByName(world.deps.state, world.deps.db, projectId, "home-agent")!;
    const [old, held] = claimRuns(world.deps, agent, 3_600_000, 2).map((c) => c.row.id);
    const caller = world.as({ apiKey: world.keys.agent.secret });
    await caller.run.complete({ id: old!, output: 1, logs: ["kept until retention"] });
    expect(logLines(old!)).toBe(1);

    world.clock.advance(31 * DAY);
    const recent = (await owner.task.runNow({ projectId, task: "job" })).id;
    await owner.run.cancel({ projectId, id: recent }); // finished today

    expect(pruneWork(world.deps, 30 * DAY)).toEqual({ runs: 1, workflowRuns: 0 });
    expect(statusOf(old!)).toBe("gone");
    expect(logLines(old!)).toBe(0);
    expect(statusOf(held!)).toBe("leased");
    expect(statusOf(ids.find((id) => id !== old && id !== held)!)).toBe("queued");
    expect(statusOf(recent)).toBe("cancelled");
    expect(pruneWork(world.deps, 30 * DAY)).toEqual({ runs: 0, workflowRuns: 0 });
  });
});
