import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { streamChanges } from "../core/change-stream";
import { createContext } from "../core/context";
import type { Caller, Outbox } from "../core/deps";
import { createIngestThrottle } from "../ingest/ingest-throttle";
import { createWorld, type World } from "../test-fixtures";
import { callerFor } from "../testing";
import { streamAudit } from "./audit-stream";

/**
 * A resume from far behind is replayed a page at a time, the next page only once the client has
 * read most of the last (the transport's `Outbox`), and what happens live meanwhile is not held in
 * memory past a bound: it is read back from the database. Each test plays the transport with an
 * outbox it drains by hand.
 */
let world: World;
let projectId: string;
let controller: AbortController;
let caller: Caller;

beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
  controller = new AbortController();
  caller = createContext(world.deps, { sessionToken: world.users.owner.token }).caller;
});
afterEach(() => {
  controller.abort();
  world.close();
});

/** An outbox whose `drained()` resolves when the test says so. */
function handOutbox() {
  let release: (() => void) | null = null;
  const outbox: Outbox = { drained: () => new Promise<void>((resolve) => (release = resolve)) };
  return {
    outbox,
    /** Whether the stream is waiting for the client to read. */
    get waiting() {
      return release !== null;
    },
    drain() {
      const resolve = release;
      release = null;
      resolve?.();
    },
  };
}

/**
 * Pulls a stream as a transport does, one value at a time. `untilQuiet` returns what it yields until
 * it goes quiet for 50 ms (it waits for the outbox, or has nothing more); a pull still pending then
 * is kept for the next call, so nothing is lost.
 */
function puller<T>(iterable: AsyncIterable<T>) {
  const iterator = iterable[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | null = null;
  const quiet = () => new Promise<null>((resolve) => setTimeout(() => resolve(null), 50));
  return {
    async untilQuiet(): Promise<T[]> {
      const items: T[] = [];
      for (;;) {
        pending ??= iterator.next();
        const step = await Promise.race([pending, quiet()]);
        if (step === null) return items;
        pending = null;
        if (step.done) return items;
        items.push(step.value);
      }
    },
  };
}

/** Reads pages, draining the outbox before each, until the stream no longer waits for it. */
async function readPages<T>(stream: ReturnType<typeof puller<T>>, hand: ReturnType<typeof handOutbox>) {
  const pages: T[][] = [];
  while (hand.waiting) {
    hand.drain();
    pages.push(await stream.untilQuiet());
  }
  return pages;
}

const changeIds = (after: string) =>
  world.deps.db.$client
    .prepare("select id from changes where project_id = ? and entity = 'agent' and id > ? order by id")
    .pluck()
    .all(projectId, Number(after)) as number[];

async function importAgents(prefix: string, count: number) {
  const agents = Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, role: "worker" }));
  const content = JSON.stringify(agents);
  await world.users.owner.caller.agent.import({ projectId, files: [{ name: `${prefix}.json`, content }] });
}

describe("change stream replay", () => {
  it("sends a far-behind backlog 500 changes at a time, and reads live changes it could not hold from the database", async () => {
    const baseline = (await world.users.owner.caller.agent.list({ projectId, limit: 1 })).lastEventId;
    await importAgents("old", 1_200);
    const hand = handOutbox();
    const stream = puller(
      streamChanges(
        { ...world.deps, outbox: hand.outbox },
        { projectId, entity: "agent", lastEventId: baseline, signal: controller.signal, caller },
      ),
    );
    const first = await stream.untilQuiet();
    expect(first).toHaveLength(500);
    expect(hand.waiting).toBe(true);

    // 2,500 changes while the client is not reading: more than a stream holds (2,000).
    await importAgents("new", 2_500);
    const pages = await readPages(stream, hand);
    expect(pages.slice(0, -1).every((page) => page.length === 500)).toBe(true);
    const received = [first, ...pages].flat().map((change) => Number(change.id));
    expect(received).toEqual(changeIds(baseline)); // 3,700: every one, once, in order

    // And on it goes, live.
    const live = await world.users.owner.caller.agent.create({ projectId, name: "live", role: "worker" });
    expect(await stream.untilQuiet()).toMatchObject([{ op: "created", data: { id: live.id } }]);
  });
});

describe("audit tail replay", () => {
  it("sends a far-behind backlog 500 rows at a time, and reads live rows it could not hold from the database", async () => {
    // Reports go in as fast as the test can send them; the ingest limit is not what is tested here.
    const deps = { ...world.deps, ingestThrottle: createIngestThrottle({ itemsPerSecond: 1_000_000 }) };
    const agentKey = callerFor(deps, { apiKey: world.keys.manage.secret });
    let sent = 0;
    const report = async (count: number) => {
      for (let done = 0; done < count; done += 1_000) {
        const items = Array.from({ length: Math.min(1_000, count - done) }, () => ({
          kind: "event" as const,
          id: `replay-${String(sent++).padStart(6, "0")}`,
          agent: "home-agent",
          operation: "tool_use",
        }));
        await agentKey.ingest.report({ projectId, items });
      }
    };
    const storedIds = (after: number) =>
      world.deps.db.$client
        .prepare("select id from audit_events where project_id = ? and id > ? order by id")
        .pluck()
        .all(projectId, after) as number[];

    const baseline = storedIds(0).at(-1)!;
    await report(1_200);
    const hand = handOutbox();
    const stream = puller(
      streamAudit({ ...deps, outbox: hand.outbox }, projectId, String(baseline), controller.signal, caller),
    );
    const first = await stream.untilQuiet();
    expect(first.map((batch) => batch.rows.value.length)).toEqual([500]);
    expect(hand.waiting).toBe(true);

    // 12,000 rows while the client is not reading: more than a tail holds (10,000).
    await report(12_000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the shared feed reads them
    const pages = await readPages(stream, hand);
    const received = [first, ...pages].flat().flatMap((batch) => batch.rows.value.map((row) => row.id));
    expect(received).toEqual(storedIds(baseline));
    expect(received.length).toBeGreaterThanOrEqual(13_200);
  });
});
