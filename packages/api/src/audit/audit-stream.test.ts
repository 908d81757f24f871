import type { AuditEvent } from "@tower/shared";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SharedJson } from "../core/shared-json";
import { AUDIT_EVENT_FIELDS, callerWithSignal, createWorld, reader, type World } from "../test-fixtures";
import { auditTailCount, feedIntervalMs } from "./audit-feed";

let world: World;
let projectId: string;
let controller: AbortController;
beforeEach(async () => {
  controller = new AbortController();
  world = await createWorld();
  projectId = world.projectId;
});
afterEach(() => {
  controller.abort();
  world.close();
});

const key = () => world.as({ apiKey: world.keys.manage.secret });
let nextId = 0;
const events = (n: number) =>
  Array.from({ length: n }, () => ({
    kind: "event" as const,
    id: `tail-${String(nextId++).padStart(6, "0")}`,
    agent: "home-agent",
    operation: "tool_use",
    target: `t-${nextId}`,
  }));

/** Opens a tail and waits until it listens to the feed (a subscription starts on its first read). */
async function tail(lastEventId: string | null, as: "viewer" | "owner" = "viewer") {
  const viewer = callerWithSignal(world.deps, { sessionToken: world.users[as].token }, controller.signal);
  const stream = reader<SharedJson<AuditEvent[]>>(await viewer.audit.onAppend({ projectId, lastEventId }));
  const before = auditTailCount(world.deps, projectId);
  stream.open();
  await vi.waitFor(() => expect(auditTailCount(world.deps, projectId)).toBe(before + 1));
  return stream;
}

/** Reads batches until `count` rows arrived; returns the rows and the batches they came in. */
async function collect(stream: Awaited<ReturnType<typeof tail>>, count: number) {
  const rows: AuditEvent[] = [];
  const batches: SharedJson<AuditEvent[]>[] = [];
  while (rows.length < count) {
    const envelope = await stream.next();
    expect(envelope.id).toBe(String(envelope.data.value.at(-1)!.id));
    batches.push(envelope.data);
    rows.push(...envelope.data.value);
  }
  return { rows, batches };
}

const storedIds = (after = 0) =>
  world.deps.db.$client
    .prepare("select id from audit_events where project_id = ? and id > ? order by id")
    .pluck()
    .all(projectId, after) as number[];

describe("audit tail fan-out", () => {
  it("spaces reads by the number of subscribers: a few get every commit, many share a read every 25 ms", () => {
    expect(feedIntervalMs(1)).toBeLessThan(1); // a timer turn: each commit's rows at once
    expect(feedIntervalMs(10)).toBeLessThanOrEqual(1);
    expect(feedIntervalMs(100)).toBeGreaterThan(feedIntervalMs(10));
    // Up to 250 subscribers, subscribers × reads per second stay within 10,000 sends a second.
    for (const n of [1, 10, 100, 200, 250])
      expect(Math.round((n * 1_000) / feedIntervalMs(n))).toBeLessThanOrEqual(10_000);
    expect(feedIntervalMs(1_000)).toBe(25);
    expect(feedIntervalMs(10_000)).toBe(25);
  });

  it("reads each batch once and hands the same serialisation to every live subscriber", async () => {
    const tails = await Promise.all([tail(null), tail(null), tail(null)]);
    const before = storedIds().at(-1) ?? 0;
    await key().ingest.report({ projectId, items: events(30) });
    const received = await Promise.all(tails.map((t) => collect(t, 30)));
    for (const { rows } of received) expect(rows.map((r) => r.id)).toEqual(storedIds(before));
    const first = received[0]!.batches[0]!;
    for (const { batches } of received) expect(batches[0]).toBe(first);
    expect(JSON.parse(first.json)).toEqual(first.value);
  });

  it("sends rows without their chain links, project or client id (half of a row's bytes)", async () => {
    const stream = await tail(null);
    await key().ingest.report({ projectId, items: events(3) });
    const { rows } = await collect(stream, 3);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual([...AUDIT_EVENT_FIELDS].sort());
    }
  });

  it("resumes from lastEventId: the backlog from the database, then live rows, each once and in order", async () => {
    await key().ingest.report({ projectId, items: events(40) });
    const ids = storedIds();
    const resumeAfter = ids[9]!;
    const live = await tail(null);
    const resumed = await tail(String(resumeAfter));
    const more = key().ingest.report({ projectId, items: events(25) });
    await more;
    const all = storedIds(resumeAfter);
    const { rows } = await collect(resumed, all.length);
    expect(rows.map((r) => r.id)).toEqual(all);
    expect((await collect(live, 25)).rows.map((r) => r.id)).toEqual(storedIds(ids.at(-1)));
    expect(await resumed.nextOrTimeout(50)).toBe("timeout");
  });

  it("takes a lastEventId past the trail's end (a backup restored, a made-up id) as its end: new rows arrive", async () => {
    await key().ingest.report({ projectId, items: events(5) });
    const ahead = await tail("99999999999");
    const absurd = await tail("9".repeat(400));
    await key().ingest.report({ projectId, items: events(3) });
    const fresh = storedIds().slice(-3);
    expect((await collect(ahead, 3)).rows.map((r) => r.id)).toEqual(fresh);
    expect((await collect(absurd, 3)).rows.map((r) => r.id)).toEqual(fresh);
  });

  it("replays one page at a time per person, however many streams they open; others do not wait", async () => {
    await key().ingest.report({ projectId, items: events(30) });
    const first = await tail("0");
    const page = await first.next(); // the first stream now holds the viewer's turn until it reads on
    const trail = storedIds();
    expect(page.data.value.map((r) => r.id)).toEqual(trail);
    const second = await tail("0");
    expect(await second.nextOrTimeout(200)).toBe("timeout");
    const someoneElse = await tail("0", "owner");
    expect((await someoneElse.next()).data.value.map((r) => r.id)).toEqual(trail);
    // Read on, the first stream's page is out: the second gets its turn.
    const firstAgain = first.nextOrTimeout(50);
    expect((await second.next()).data.value.map((r) => r.id)).toEqual(trail);
    expect(await firstAgain).toBe("timeout"); // nothing new for it
    // The second is never read on: a third still gets a turn, once the second's time is up.
    const third = await tail("0");
    expect((await third.next()).data.value.map((r) => r.id)).toEqual(trail);
  });

  it("a subscriber that joins while the feed is ahead of it gets only rows it has not seen", async () => {
    const early = await tail(null);
    await key().ingest.report({ projectId, items: events(10) });
    await collect(early, 10);
    // Rows committed but not yet read by the feed are covered by the late tail's starting point.
    await key().ingest.report({ projectId, items: events(5) });
    const lastBefore = storedIds().at(-1)!;
    const late = await tail(null);
    await key().ingest.report({ projectId, items: events(5) });
    const { rows } = await collect(late, 5);
    expect(rows.map((r) => r.id)).toEqual(storedIds(lastBefore));
    expect(await late.nextOrTimeout(50)).toBe("timeout");
  });
});
