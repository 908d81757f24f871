import type { Credentials } from "./deps";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerWithSignal, createWorld, expectTRPCError, reader, type TestCaller, type World } from "../test-fixtures";

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

/** Subscribes to `agent.onChange` and starts pulling at once, as a transport would. */
async function subscribe(credentials: Credentials, lastEventId: string | null, project = projectId) {
  const controller = new AbortController();
  controllers.push(controller);
  const caller = callerWithSignal(world.deps, credentials, controller.signal);
  const iterable = await caller.agent.onChange({ projectId: project, lastEventId });
  const stream = reader(iterable);
  const first = stream.nextOrTimeout(0);
  first.catch(() => {}); // tests that never look at it must not see a rejection when the stream stops
  return { stream, first, controller };
}

const latest = async () => (await owner.agent.list({ projectId })).lastEventId;
const viewer = () => ({ sessionToken: world.users.viewer.token });

describe("agent.onChange", () => {
  it("delivers created, updated and deleted events in order with increasing ids", async () => {
    const { stream, first } = await subscribe(viewer(), null);
    expect(await first).toBe("timeout");

    const created = await owner.agent.create({ projectId, name: "streamed", role: "coder" });
    const updated = await owner.agent.update({
      projectId,
      id: created.id,
      patch: { description: "busy now" },
    });
    await owner.agent.delete({ projectId, id: created.id });

    const events = await stream.take(3);
    expect(events.map((e) => e.data.op)).toEqual(["created", "updated", "deleted"]);
    expect(events.map((e) => e.id)).toEqual(events.map((e) => e.data.id));
    const ids = events.map((e) => Number(e.id));
    expect(ids[0]).toBeGreaterThan(0);
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    expect(ids[2]).toBeGreaterThan(ids[1]!);
    expect(events[0]!.data).toMatchObject({ projectId, entity: "agent", data: created });
    expect(events[1]!.data).toMatchObject({ data: updated });
    expect(events[2]!.data.data).toEqual({ id: created.id, name: "streamed" });
    expect(String(ids[2])).toBe(await latest());
    expect(await stream.nextOrTimeout()).toBe("timeout");
  });

  it("without lastEventId starts from now: nothing older is replayed", async () => {
    await owner.agent.create({ projectId, name: "old", role: "coder" });
    const { stream, first } = await subscribe(viewer(), null);
    expect(await first).toBe("timeout");
    const fresh = await owner.agent.create({ projectId, name: "new", role: "coder" });
    expect((await stream.next()).data.data).toMatchObject({ id: fresh.id });
  });

  it("resumes after the 2nd of 5 events with exactly events 3, 4 and 5, then live ones, without duplicates", async () => {
    const baseline = await latest();
    const agent = await owner.agent.create({ projectId, name: "resumable", role: "coder" });
    for (const description of ["busy", "idle", "error"])
      await owner.agent.update({ projectId, id: agent.id, patch: { description } });
    await owner.agent.delete({ projectId, id: agent.id });

    const all = await subscribe(viewer(), baseline);
    const five = await all.stream.take(5);
    expect(five.map((e) => e.data.op)).toEqual(["created", "updated", "updated", "updated", "deleted"]);
    all.controller.abort();

    const resumed = await subscribe({ apiKey: world.keys.read.secret }, five[1]!.id);
    const replayed = await resumed.stream.take(3);
    expect(replayed.map((e) => e.id)).toEqual(five.slice(2).map((e) => e.id));
    expect(replayed.map((e) => e.data)).toEqual(five.slice(2).map((e) => e.data));

    const live1 = await owner.agent.create({ projectId, name: "live-1", role: "coder" });
    const live2 = await owner.agent.create({ projectId, name: "live-2", role: "coder" });
    const live = await resumed.stream.take(2);
    expect(live.map((e) => e.data.data.id)).toEqual([live1.id, live2.id]);
    expect(Number(live[0]!.id)).toBeGreaterThan(Number(five[4]!.id));
    expect(await resumed.stream.nextOrTimeout()).toBe("timeout");
  });

  it("a change committed while a long replay is in progress is delivered once, in order", async () => {
    const baseline = await latest();
    const agent = await owner.agent.create({ projectId, name: "busy-bee", role: "coder" });
    const TOTAL = 620; // more than one replay page
    for (let i = 1; i < TOTAL; i++)
      await owner.agent.update({ projectId, id: agent.id, patch: { description: `v${i}` } });

    const { stream } = await subscribe(viewer(), baseline);
    const got = [await stream.next()];
    // Committed while the replay is still paging: it is both in the feed and in the live buffer.
    const late = await owner.agent.update({
      projectId,
      id: agent.id,
      patch: { description: "late" },
    });
    got.push(...(await stream.take(TOTAL)));
    const ids = got.map((e) => Number(e.id));
    expect(new Set(ids).size).toBe(TOTAL + 1);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    expect(got.at(-1)!.data.data).toEqual(late);
    expect(await stream.nextOrTimeout()).toBe("timeout");
  });

  it("never delivers another project's events, live or replayed", async () => {
    const baseline = await latest();
    const foreignOwner = world.users.foreignOwner.caller;
    await foreignOwner.agent.create({
      projectId: world.foreignProjectId,
      name: "theirs-1",
      role: "coder",
    });
    const mine1 = await owner.agent.create({ projectId, name: "mine-1", role: "coder" });

    const { stream } = await subscribe(viewer(), baseline);
    expect((await stream.next()).data.data).toMatchObject({ id: mine1.id });

    await foreignOwner.agent.create({
      projectId: world.foreignProjectId,
      name: "theirs-2",
      role: "coder",
    });
    await foreignOwner.agent.update({
      projectId: world.foreignProjectId,
      id: world.foreignAgent.id,
      patch: { description: "busy abroad" },
    });
    const mine2 = await owner.agent.create({ projectId, name: "mine-2", role: "coder" });
    const next = await stream.next();
    expect(next.data).toMatchObject({ projectId, data: { id: mine2.id } });
    expect(await stream.nextOrTimeout()).toBe("timeout");
  });

  it("stops and unsubscribes when the signal aborts", async () => {
    const before = world.deps.bus.listenerCount();
    const controller = new AbortController();
    const caller = callerWithSignal(world.deps, viewer(), controller.signal);
    const iterator = (await caller.agent.onChange({ projectId }))[Symbol.asyncIterator]();
    const pending = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(world.deps.bus.listenerCount()).toBe(before + 1);
    controller.abort();
    expect((await pending).done).toBe(true);
    expect(world.deps.bus.listenerCount()).toBe(before);
  });

  it("logging out ends the streams opened with that session, and only those", async () => {
    const session = await subscribe(viewer(), null);
    const other = await subscribe({ sessionToken: world.users.admin.token }, null);
    expect([await session.first, await other.first]).toEqual(["timeout", "timeout"]); // both streams are live
    await world.as(viewer()).auth.logOut();
    await expect(session.stream.next()).rejects.toThrow("subscription ended");
    const created = await owner.agent.create({ projectId, name: "after-logout", role: "coder" });
    expect((await other.stream.next()).data.data).toMatchObject({ id: created.id });
  });

  it("a stream opened on a connection whose session was already revoked ends at once", async () => {
    // A WebSocket resolves its caller when it connects; logging out later must still count.
    const controller = new AbortController();
    controllers.push(controller);
    const stale = callerWithSignal(world.deps, viewer(), controller.signal);
    await world.as(viewer()).auth.logOut();
    const stream = reader(await stale.agent.onChange({ projectId, lastEventId: null }));
    const first = stream.nextOrTimeout(20);
    await owner.agent.create({ projectId, name: "leak", role: "r" });
    await expect(first).rejects.toThrow("subscription ended");
  });

  it("revoking an API key ends the streams opened with it, and only those", async () => {
    const doomed = await owner.apiKey.create({ projectId, name: "doomed", scopes: ["read"] });
    const byKey = await subscribe({ apiKey: doomed.secret }, null);
    const byOtherKey = await subscribe({ apiKey: world.keys.read.secret }, null);
    expect([await byKey.first, await byOtherKey.first]).toEqual(["timeout", "timeout"]);
    await owner.apiKey.revoke({ projectId, id: doomed.id });
    await expect(byKey.stream.next()).rejects.toThrow("subscription ended");
    const created = await owner.agent.create({ projectId, name: "after-revoke", role: "coder" });
    expect((await byOtherKey.stream.next()).data.data).toMatchObject({ id: created.id });
    expect(world.deps.bus.listenerCount()).toBe(1);
  });

  it("a viewer and a read key may subscribe; anonymous, revoked keys and non-members may not", async () => {
    await subscribe(viewer(), null);
    await subscribe({ apiKey: world.keys.read.secret }, null);
    await expectTRPCError(subscribe({}, null), "UNAUTHORIZED");
    await expectTRPCError(subscribe({ apiKey: world.keys.revoked.secret }, null), "UNAUTHORIZED");
    await expectTRPCError(subscribe({ sessionToken: world.users.outsider.token }, null), "FORBIDDEN");
    await expectTRPCError(
      subscribe({ sessionToken: world.users.owner.token }, null, world.foreignProjectId),
      "FORBIDDEN",
    );
    await expectTRPCError(subscribe({ apiKey: world.keys.manage.secret }, null, world.foreignProjectId), "FORBIDDEN");
  });

  it("takes a lastEventId past the feed's end (a backup restored, a made-up id) as its end: new changes arrive", async () => {
    await owner.agent.create({ projectId, name: "before", role: "coder" });
    const ahead = await subscribe(viewer(), String(Number(await latest()) + 1_000));
    const absurd = await subscribe(viewer(), "9".repeat(400));
    expect([await ahead.first, await absurd.first]).toEqual(["timeout", "timeout"]);
    const made = await owner.agent.create({ projectId, name: "after", role: "coder" });
    for (const { stream } of [ahead, absurd]) {
      const [event] = await stream.take(1);
      expect(event!.data).toMatchObject({ op: "created", data: { id: made.id } });
    }
  });

  it("rejects a malformed lastEventId", async () => {
    await expectTRPCError(subscribe(viewer(), "abc"), "BAD_REQUEST");
  });
});
