import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, errorShape, expectTRPCError, type TestCaller, type World } from "../test-fixtures";
import { sweepWork } from "./work-sweep";

let world: World;
let owner: TestCaller;
let projectId: string;

beforeEach(async () => {
  world = await createWorld();
  owner = world.users.owner.caller;
  projectId = world.projectId;
});
afterEach(() => world.close());

const auditOps = () =>
  (
    world.sqlite.prepare("select operation from audit_events where project_id = ? order by id").all(projectId) as {
      operation: string;
    }[]
  ).map((row) => row.operation);

const MINUTE = 60_000;

describe("tasks", () => {
  it("creates a task with sensible defaults, audited and live", async () => {
    const task = await owner.task.create({ projectId, name: "index-repo" });
    expect(task).toMatchObject({
      name: "index-repo",
      target: { kind: "any", value: null },
      input: {},
      priority: 0,
      maxAttempts: 1,
      backoffSeconds: 10,
      maxDurationSeconds: 3600,
      queuedTtlSeconds: null,
      cron: null,
      timezone: "UTC",
      missedFires: "run_once",
      paused: false,
      nextFireAt: null,
    });
    expect(auditOps()).toContain("task.created");
    expect((await owner.task.list({ projectId })).items.map((t) => t.name)).toEqual(["index-repo"]);
  });

  it("refuses a second task of the same name, naming the field", async () => {
    await owner.task.create({ projectId, name: "dup" });
    await expectTRPCError(owner.task.create({ projectId, name: "dup" }), "CONFLICT", /already exists/);
  });

  it("checks the cron expression and the time zone, naming the field, and changes nothing", async () => {
    const bad = await expectTRPCError(
      owner.task.create({ projectId, name: "bad", cron: "61 * * * *" }),
      "BAD_REQUEST",
      "cron: Not a valid cron expression: Invalid value for minute: 61",
    );
    expect(errorShape(bad).data.field).toBe("cron");
    await expectTRPCError(
      owner.task.create({ projectId, name: "bad-zone", cron: "0 9 * * *", timezone: "Mars/Olympus" }),
      "BAD_REQUEST",
      /^timezone: Unknown time zone "Mars\/Olympus"/,
    );
    expect((await owner.task.list({ projectId })).items).toEqual([]);
  });

  it("checks the time zone without a schedule too, on create and on update, naming the zone", async () => {
    const created = await expectTRPCError(
      owner.task.create({ projectId, name: "tzonly", target: { kind: "any" }, timezone: "Nowhere/Else" }),
      "BAD_REQUEST",
      'timezone: Unknown time zone "Nowhere/Else"; use an IANA name such as Europe/Paris or UTC',
    );
    expect(errorShape(created).data.field).toBe("timezone");
    expect((await owner.task.list({ projectId })).items).toEqual([]);

    const task = await owner.task.create({ projectId, name: "tzonly", timezone: "Europe/Paris" });
    const updated = await expectTRPCError(
      owner.task.update({ projectId, id: task.id, timezone: "Bad/Zone" }),
      "BAD_REQUEST",
      /^timezone: Unknown time zone "Bad\/Zone"/,
    );
    expect(errorShape(updated).data.field).toBe("timezone");
    // Nothing bad was kept, so a schedule added later is refused for nothing it was not sent.
    const scheduled = await owner.task.update({ projectId, id: task.id, cron: "*/5 * * * *" });
    expect(scheduled).toMatchObject({ timezone: "Europe/Paris", cron: "*/5 * * * *" });
    expect(scheduled.nextFireAt).toBe(world.clock.now() + 5 * MINUTE);
  });

  it("names a time zone saved before zones were checked as the task's own when a schedule needs it", async () => {
    const task = await owner.task.create({ projectId, name: "legacy" });
    world.sqlite.prepare("update tasks set timezone = 'Nowhere/Else' where id = ?").run(task.id);
    // Changes that need no zone still go through.
    expect(await owner.task.update({ projectId, id: task.id, priority: 3 })).toMatchObject({ priority: 3 });
    const refused = await expectTRPCError(
      owner.task.update({ projectId, id: task.id, cron: "*/5 * * * *" }),
      "BAD_REQUEST",
      /^timezone: The task's saved time zone "Nowhere\/Else" is unknown .*send a timezone with this change/,
    );
    expect(errorShape(refused).data.field).toBe("timezone");
    const fixed = await owner.task.update({ projectId, id: task.id, cron: "*/5 * * * *", timezone: "UTC" });
    expect(fixed.nextFireAt).toBe(world.clock.now() + 5 * MINUTE);
  });

  it("refuses a cron that never fires, on create and on update, and changes nothing", async () => {
    const created = await expectTRPCError(
      owner.task.create({ projectId, name: "never", cron: "0 0 31 2 *" }),
      "BAD_REQUEST",
      /^cron: "0 0 31 2 \*" never fires/,
    );
    expect(errorShape(created).data.field).toBe("cron");
    expect((await owner.task.list({ projectId })).items).toEqual([]);

    const task = await owner.task.create({ projectId, name: "hourly", cron: "0 * * * *" });
    const updated = await expectTRPCError(
      owner.task.update({ projectId, id: task.id, cron: "0 9 30 2 *" }),
      "BAD_REQUEST",
      /^cron: "0 9 30 2 \*" never fires/,
    );
    expect(errorShape(updated).data.field).toBe("cron");
    expect(await owner.task.byId({ projectId, id: task.id })).toMatchObject({
      cron: "0 * * * *",
      nextFireAt: task.nextFireAt,
    });
    // A rare date is not a never: 29 February comes in 2028.
    const leap = await owner.task.update({ projectId, id: task.id, cron: "0 0 29 2 *" });
    expect(leap.nextFireAt).toBe(Date.UTC(2028, 1, 29));
  });

  it("previews the next five fires in the task's time zone", async () => {
    // The manual clock starts at 2026-01-01T00:00Z, a Thursday.
    const { fires, timezone } = await owner.task.preview({ projectId, cron: "0 9 * * 1-5", timezone: "Europe/Paris" });
    expect(timezone).toBe("Europe/Paris");
    expect(fires.map((at) => new Date(at).toISOString())).toEqual([
      "2026-01-01T08:00:00.000Z",
      "2026-01-02T08:00:00.000Z",
      "2026-01-05T08:00:00.000Z",
      "2026-01-06T08:00:00.000Z",
      "2026-01-07T08:00:00.000Z",
    ]);
  });

  it("stores the next fire, clears it while paused and computes it again on resume", async () => {
    const task = await owner.task.create({ projectId, name: "hourly", cron: "0 * * * *" });
    expect(task.nextFireAt).toBe(world.clock.now() + 60 * MINUTE);
    const paused = await owner.task.update({ projectId, id: task.id, paused: true });
    expect(paused.nextFireAt).toBeNull();
    world.clock.advance(90 * MINUTE);
    expect(sweepWork(world.deps).fired).toBe(0);
    const resumed = await owner.task.update({ projectId, id: task.id, paused: false });
    expect(resumed.nextFireAt).toBe(Date.UTC(2026, 0, 1, 2));
    expect(auditOps()).toEqual(expect.arrayContaining(["task.paused", "task.resumed"]));
  });

  it("is for operators: viewers and read keys are refused", async () => {
    await expectTRPCError(world.users.viewer.caller.task.create({ projectId, name: "x" }), "FORBIDDEN");
    await expectTRPCError(world.as({ apiKey: world.keys.read.secret }).task.create({ name: "x" }), "FORBIDDEN");
    await expectTRPCError(world.as({ apiKey: world.keys.agent.secret }).task.create({ name: "x" }), "FORBIDDEN");
  });

  it("never shows or changes another project's tasks", async () => {
    const task = await owner.task.create({ projectId, name: "mine" });
    const foreign = world.users.foreignOwner.caller;
    await expectTRPCError(foreign.task.byId({ projectId: world.foreignProjectId, id: task.id }), "NOT_FOUND");
    await expectTRPCError(foreign.task.delete({ projectId: world.foreignProjectId, id: task.id }), "NOT_FOUND");
    await expectTRPCError(foreign.task.runNow({ projectId: world.foreignProjectId, id: task.id }), "NOT_FOUND");
  });
});

describe("schedules", () => {
  it("fires once per fire time, however often the sweep runs, and moves the next fire on", async () => {
    const task = await owner.task.create({ projectId, name: "every-minute", cron: "* * * * *", input: { n: 1 } });
    world.clock.advance(MINUTE);
    expect(sweepWork(world.deps)).toMatchObject({ fired: 1, missed: 0 });
    expect(sweepWork(world.deps).fired).toBe(0);
    const runs = (await owner.run.list({ projectId })).items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: "schedule", scheduledFor: task.nextFireAt, input: { n: 1 } });
    expect((await owner.task.byId({ projectId, id: task.id })).nextFireAt).toBe(task.nextFireAt! + MINUTE);
  });

  it("keeps one run waiting while nobody takes it: a fire whose previous run is still queued makes none", async () => {
    const task = await owner.task.create({ projectId, name: "every-second", cron: "* * * * * *" });
    for (let i = 0; i < 5; i++) {
      world.clock.advance(1_000);
      expect(sweepWork(world.deps)).toMatchObject({ fired: i === 0 ? 1 : 0, coalesced: i === 0 ? 0 : 1 });
    }
    const [waiting, ...more] = (await owner.run.list({ projectId })).items;
    expect(more).toHaveLength(0);
    expect(waiting).toMatchObject({ status: "queued", scheduledFor: task.nextFireAt });
    // The schedule moves on meanwhile; once that run is no longer waiting, the next fire queues one.
    expect((await owner.task.byId({ projectId, id: task.id })).nextFireAt).toBe(task.nextFireAt! + 5_000);
    await owner.run.cancel({ projectId, id: waiting!.id });
    world.clock.advance(1_000);
    expect(sweepWork(world.deps)).toMatchObject({ fired: 1, coalesced: 0 });
    // A run queued by hand is not the schedule's: it does not hold the schedule back.
    await owner.task.runNow({ projectId, id: task.id });
    world.clock.advance(1_000);
    expect(sweepWork(world.deps)).toMatchObject({ fired: 0, coalesced: 1 });
    expect((await owner.run.list({ projectId, status: "queued" })).items.map((run) => run.trigger).sort()).toEqual([
      "manual",
      "schedule",
    ]);
  });

  it("runs a fire missed during downtime once (run_once) and records it", async () => {
    await owner.task.create({ projectId, name: "catch-up", cron: "* * * * *" });
    world.clock.advance(60 * MINUTE); // sixty fires missed
    expect(sweepWork(world.deps)).toMatchObject({ fired: 1, missed: 1 });
    expect(sweepWork(world.deps).fired).toBe(0);
    expect((await owner.run.list({ projectId })).items).toHaveLength(1);
    expect(auditOps()).toContain("task.fire_caught_up");
  });

  it("skips a missed fire when the task says so, and records that too", async () => {
    const task = await owner.task.create({ projectId, name: "skipper", cron: "0 * * * *", missedFires: "skip" });
    world.clock.advance(5 * 60 * MINUTE);
    expect(sweepWork(world.deps)).toMatchObject({ fired: 0, missed: 1 });
    expect((await owner.run.list({ projectId })).items).toHaveLength(0);
    expect(auditOps()).toContain("task.fire_skipped");
    expect((await owner.task.byId({ projectId, id: task.id })).nextFireAt).toBe(Date.UTC(2026, 0, 1, 6));
    // All five missed fires are on record, not only the first.
    const skipped = (await owner.audit.list({ projectId, operation: "task.fire_skipped" })).items[0]!;
    expect(skipped.detail).toMatchObject({
      missedFireAt: Date.UTC(2026, 0, 1, 1),
      missedFires: 5,
      lastMissedFireAt: Date.UTC(2026, 0, 1, 5),
    });
  });
});
