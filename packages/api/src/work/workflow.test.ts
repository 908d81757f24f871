import type { Run, RunAssignment } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerWithSignal, createWorld, expectTRPCError, reader, type TestCaller, type World } from "../test-fixtures";
import { sweepWork } from "./work-sweep";

let world: World;
let owner: TestCaller;
let projectId: string;
const controllers: AbortController[] = [];

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  projectId = world.projectId;
});
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
  world.close();
});

const agent = () => world.as({ apiKey: world.keys.agent.secret });

/** home-agent (role coder) waiting for work; each call takes the next run pushed to it. */
async function worker() {
  const controller = new AbortController();
  controllers.push(controller);
  const caller = callerWithSignal(world.deps, { apiKey: world.keys.agent.secret }, controller.signal);
  const stream = reader(await caller.run.assignments({ projectId, agent: "home-agent", concurrency: 1 }));
  return async (): Promise<Run> => {
    const item = await stream.nextOrTimeout(2_000);
    const assignment = item as unknown as RunAssignment | "timeout";
    if (assignment === "timeout" || assignment.type !== "run")
      throw new Error(`expected a run: ${JSON.stringify(item)}`);
    return assignment.run;
  };
}

const coder = { kind: "role" as const, value: "coder" };

describe("workflows", () => {
  it("runs its steps in order, each with the outputs before it, and ends succeeded", async () => {
    const workflow = await owner.workflow.create({
      projectId,
      name: "release",
      steps: [
        { name: "build", target: coder, input: { target: "web" } },
        { name: "test", target: coder },
        { name: "ship", target: { kind: "agent", value: "home-agent" } },
      ],
    });
    const started = await world.users.operator.caller.workflow.start({
      projectId,
      workflow: "release",
      input: { ref: "v1" },
    });
    expect(started).toMatchObject({ status: "running", currentStep: 0, startedBy: "Oscar Operator" });
    expect(started.steps.map((s) => s.status)).toEqual(["queued", "pending", "pending"]);

    const next = await worker();
    const build = await next();
    expect(build).toMatchObject({ trigger: "workflow", workflowStep: 0, taskName: "release › build" });
    expect(build.input).toEqual({ ref: "v1", target: "web", steps: {} });
    await agent().run.complete({ id: build.id, output: { artifact: "web.tgz" } });

    const test = await next();
    expect(test.input).toEqual({ ref: "v1", steps: { build: { artifact: "web.tgz" } } });
    await agent().run.complete({ id: test.id, output: "green" });
    const ship = await next();
    expect(ship.input.steps).toEqual({ build: { artifact: "web.tgz" }, test: "green" });
    await agent().run.complete({ id: ship.id });

    const done = await owner.workflow.runById({ projectId, id: started.id });
    expect(done).toMatchObject({ status: "succeeded", currentStep: 2, workflowId: workflow.id });
    expect(done.steps.map((s) => s.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });

  it("stops at a failing step, or goes on past one that says continue", async () => {
    await owner.workflow.create({
      projectId,
      name: "lenient",
      steps: [
        { name: "lint", target: coder, onFailure: "continue" },
        { name: "build", target: coder },
        { name: "never", target: coder },
      ],
    });
    const started = await owner.workflow.start({ projectId, workflow: "lenient" });
    const next = await worker();
    await agent().run.fail({ id: (await next()).id, error: "3 lint errors" });
    await agent().run.fail({ id: (await next()).id, error: "compile error" });
    const ended = await owner.workflow.runById({ projectId, id: started.id });
    expect(ended.status).toBe("failed");
    expect(ended.steps.map((s) => [s.status, s.error])).toEqual([
      ["failed", "3 lint errors"],
      ["failed", "compile error"],
      ["skipped", null],
    ]);
  });

  it("fails a step unstarted whose input would be too large with the outputs before it, and ends there", async () => {
    await owner.workflow.create({
      projectId,
      name: "bulky",
      steps: ["one", "two", "three", "four"].map((name) => ({ name, target: coder })),
    });
    const started = await owner.workflow.start({ projectId, workflow: "bulky" });
    const next = await worker();
    // Each output is within a run's limit (64 KiB); the third step's input would hold two of them.
    const big = "x".repeat(40_000);
    await agent().run.complete({ id: (await next()).id, output: big });
    await agent().run.complete({ id: (await next()).id, output: big });
    const ended = await owner.workflow.runById({ projectId, id: started.id });
    expect(ended.status).toBe("failed");
    expect(ended.steps.map((step) => step.status)).toEqual(["succeeded", "succeeded", "failed", "skipped"]);
    expect(ended.steps[2]).toMatchObject({
      runId: null,
      error: expect.stringMatching(
        /^Step "three" was not started: its input .* would be 80\d{3} bytes of JSON, over the 65536 a run may take$/,
      ),
    });
    const queued = world.sqlite.prepare("select count(*) from runs where status = 'queued'").pluck().get();
    expect(queued).toBe(0);
  });

  it("retries a step that says retry, after its backoff", async () => {
    await owner.workflow.create({
      projectId,
      name: "flaky",
      steps: [{ name: "fetch", target: coder, onFailure: "retry" }],
    });
    const started = await owner.workflow.start({ projectId, workflow: "flaky" });
    const first = await (await worker())();
    expect(first.maxAttempts).toBe(3);
    const retried = await agent().run.fail({ id: first.id, error: "timeout" });
    expect(retried).toMatchObject({ status: "queued", attempt: 2 });
    expect((await owner.workflow.runById({ projectId, id: started.id })).status).toBe("running");
  });

  it("stops a started workflow: the running step is cancelled at its agent, the rest skipped", async () => {
    await owner.workflow.create({
      projectId,
      name: "long",
      steps: [
        { name: "one", target: coder },
        { name: "two", target: coder },
      ],
    });
    const started = await owner.workflow.start({ projectId, workflow: "long" });
    const one = await (await worker())();
    await agent().run.heartbeat({ id: one.id });
    const stopped = await owner.workflow.stop({ projectId, id: started.id });
    expect(stopped.status).toBe("stopped");
    expect(stopped.steps.map((s) => s.status)).toEqual(["running", "skipped"]);
    expect((await agent().run.heartbeat({ id: one.id })).cancelRequested).toBe(true);
    expect(await agent().run.fail({ id: one.id, error: "stopped" })).toMatchObject({ status: "cancelled" });
    const after = await owner.workflow.runById({ projectId, id: started.id });
    expect(after.status).toBe("stopped");
    expect(after.steps.map((s) => s.status)).toEqual(["cancelled", "skipped"]);
    await expectTRPCError(owner.workflow.stop({ projectId, id: started.id }), "CONFLICT", /already ended/);
  });

  it("moves on when the sweep takes a step's run back for good", async () => {
    await owner.workflow.create({ projectId, name: "swept", steps: [{ name: "only", target: coder }] });
    const started = await owner.workflow.start({ projectId, workflow: "swept" });
    await (
      await worker()
    )();
    world.clock.advance(31_000);
    sweepWork(world.deps);
    const ended = await owner.workflow.runById({ projectId, id: started.id });
    expect(ended.status).toBe("failed");
    expect(ended.steps[0]!.error).toMatch(/lease lapsed/);
  });

  it("checks its definition, naming the problem, and is for operators", async () => {
    await expectTRPCError(
      owner.workflow.create({ projectId, name: "empty", steps: [] }),
      "BAD_REQUEST",
      /at least one step/,
    );
    await expectTRPCError(
      owner.workflow.create({
        projectId,
        name: "dup",
        steps: [
          { name: "a", target: coder },
          { name: "a", target: coder },
        ],
      }),
      "BAD_REQUEST",
      /name of its own/,
    );
    await expectTRPCError(
      world.users.viewer.caller.workflow.create({ projectId, name: "x", steps: [{ name: "a", target: coder }] }),
      "FORBIDDEN",
    );
    await expectTRPCError(
      owner.workflow.start({ projectId, workflow: "nope" }),
      "NOT_FOUND",
      /No workflow named "nope"/,
    );
  });
});
