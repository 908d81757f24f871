import type { IngestInputSchema } from "@tower/shared";
import type { z } from "zod";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyAudit } from "../audit/audit-service";
import { createWorld, expectTRPCError, type World } from "../test-fixtures";
import { callerFor } from "../testing";
import { createIngestThrottle } from "./ingest-throttle";
import { RawReports, rawReportsReader } from "./raw-reports";

let world: World;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(() => world.close());

const event = (id: string, agent = "home-agent", extra: Record<string, unknown> = {}) => ({
  kind: "event",
  id,
  agent,
  operation: "tool_use",
  target: "web.search",
  ...extra,
});

/** A body as the server receives it, handed on unparsed with the count its sender gave. */
const raw = (body: unknown, items: number) =>
  new RawReports(new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)), items);
/** What the transport passes as the input of `ingest.report` for such a body. */
const asInput = (reports: RawReports) => reports as unknown as z.input<typeof IngestInputSchema>;
const stored = (prefix: string) =>
  world.sqlite.prepare("select count(*) from audit_events where client_id like ?").pluck().get(`${prefix}%`);

describe("ingest.report with a raw body (parsed and checked by the writer)", () => {
  it("answers item by item exactly as the same batch sent parsed", async () => {
    const key = world.as({ apiKey: world.keys.manage.secret });
    const batch = (prefix: string) => [
      event(`${prefix}-00001`),
      event(`${prefix}-00002`, "home-agent", { operation: "Not Valid!" }),
      event(`${prefix}-00003`, "nobody"),
      { kind: "metric", id: `${prefix}-00004`, agent: "home-agent", type: "execution", executionMs: 5, success: true },
    ];
    const parsed = await key.ingest.report({ items: batch("parsed") });
    const unparsed = await key.ingest.report(asInput(raw({ items: batch("rawbody") }, 4)));
    const shape = (answer: typeof parsed) => ({
      ...answer,
      results: answer.results.map(({ id, ...rest }) => ({ ...rest, id: id?.slice(-5) })),
    });
    expect(shape(unparsed)).toEqual(shape(parsed));
    expect(unparsed).toMatchObject({ stored: 2, rejected: 2 });
    expect(stored("rawbody")).toBe(1);
    expect(verifyAudit(world.deps.db, world.projectId)).toMatchObject({ intact: true });
  });

  it("refuses a body that is not a batch of reports whole, naming the problem, and stores nothing", async () => {
    const key = world.as({ apiKey: world.keys.manage.secret });
    const good = [event("refused-01")];
    await expectTRPCError(key.ingest.report(asInput(raw("{items:", 1))), "BAD_REQUEST", /not valid JSON/);
    await expectTRPCError(key.ingest.report(asInput(raw({ things: good }, 1))), "BAD_REQUEST", /items/);
    await expectTRPCError(key.ingest.report(asInput(raw({ items: [] }, 1))), "BAD_REQUEST", /at least one item/);
    // Beside `items` the JSON path takes `projectId`; a raw body has no place for it (its key says the project).
    await expectTRPCError(
      key.ingest.report(asInput(raw({ items: good, projectId: world.projectId }, 1))),
      "BAD_REQUEST",
      /projectId/,
    );
    await expectTRPCError(
      key.ingest.report(asInput(raw({ items: [...good, event("refused-02")] }, 1))),
      "BAD_REQUEST",
      /holds 2 items, but its sender said 1/,
    );
    expect(stored("refused-")).toBe(0);
  });

  it("refuses an agent key's reports as another agent one by one, and stores the rest", async () => {
    await world.users.owner.caller.agent.create({
      projectId: world.projectId,
      name: "other-agent",
      role: "coder",
    });
    const key = world.as({ apiKey: world.keys.agent.secret });
    const answer = await key.ingest.report(
      asInput(raw({ items: [event("as-other-1", "other-agent"), event("as-self-01")] }, 2)),
    );
    expect(answer.results).toEqual([
      {
        id: "as-other-1",
        status: "rejected",
        reason: 'agent: this key cannot report as "other-agent"; it runs home-agent',
      },
      { id: "as-self-01", status: "stored" },
    ]);
  });

  it("counts the announced items against the key's limit before anything is parsed", async () => {
    const limited = { ...world.deps, ingestThrottle: createIngestThrottle({ itemsPerSecond: 10 }) };
    const key = callerFor(limited, { apiKey: world.keys.manage.secret });
    const batch = (n: number) => Array.from({ length: 6 }, (_, i) => event(`limited-${n}-${i}`));
    expect(await key.ingest.report(asInput(raw({ items: batch(1) }, 6)))).toMatchObject({ stored: 6 });
    await expect(key.ingest.report(asInput(raw({ items: batch(2) }, 6)))).rejects.toThrow(/retry in \d+ ms/);
    expect(stored("limited-2-")).toBe(0);
  });
});

describe("rawReportsReader", () => {
  it("reads a body raw only when its sender gave a count the API takes", () => {
    const bytes = new TextEncoder().encode("{}");
    expect(rawReportsReader("3")?.(bytes)).toEqual(new RawReports(bytes, 3));
    expect(rawReportsReader("1000")?.(bytes)).toMatchObject({ items: 1000 });
    for (const header of [undefined, "", "0", "01", "1001", "-1", "1.5", "2e2", " 3", "abc", ["3", "3"]]) {
      expect(rawReportsReader(header), String(header)).toBeUndefined();
    }
  });
});
