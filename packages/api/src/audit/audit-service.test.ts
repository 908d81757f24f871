import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashAuditRow } from "../core/audit-chain";
import { AUDIT_EVENT_FIELDS, createWorld, type World } from "../test-fixtures";
import { pruneAudit, verifyAudit } from "./audit-service";

let world: World;
let projectId: string;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
});
afterEach(() => world.close());

const owner = () => world.as({ sessionToken: world.users.owner.token });
const rows = () =>
  world.sqlite
    .prepare(
      "select id, operation, actor_type, actor_name, target, detail from audit_events where project_id = ? order by id",
    )
    .all(projectId) as {
    id: number;
    operation: string;
    actor_type: string;
    actor_name: string;
    target: string;
    detail: string;
  }[];

/** Tampering as an attacker with file access would: drop the triggers, then edit with raw SQL. */
function withoutTriggers(run: () => void) {
  world.sqlite.exec("drop trigger audit_events_no_update; drop trigger audit_events_no_delete;");
  run();
}

async function someActivity() {
  const agent = await owner().agent.create({ projectId, name: "audited", role: "coder" });
  await owner().agent.update({ projectId, id: agent.id, patch: { description: "changed" } });
  await owner().agent.setEnabled({ projectId, id: agent.id, enabled: false });
  await owner().apiKey.create({ projectId, name: "ci", scopes: ["read"] });
  return agent;
}

describe("the audit trail", () => {
  it("records dashboard actions with who did them, in the same transaction", async () => {
    const before = rows().length;
    await someActivity();
    await owner()
      .fleet.deactivateAll({ projectId, confirm: "Home" })
      .catch(() => undefined);
    const added = rows().slice(before);
    expect(added.map((row) => row.operation)).toEqual(
      expect.arrayContaining(["agent.create", "agent.update", "agent.disable", "apiKey.create"]),
    );
    expect(added.every((row) => row.actor_type === "user" && row.actor_name === "Olivia Owner")).toBe(true);
    expect(added.find((row) => row.operation === "agent.update")?.detail).toContain("description");
  });

  it("audits the kill switch, with how many agents it stopped", async () => {
    const name = (await owner().project.list()).find((p) => p.projectId === projectId)!.projectName;
    const result = await owner().fleet.deactivateAll({ projectId, confirm: name });
    const last = rows().at(-1)!;
    expect(last.operation).toBe("fleet.deactivateAll");
    expect(JSON.parse(last.detail)).toEqual({ changed: result.changed });
  });

  it("writes nothing when the action itself is refused", async () => {
    const before = rows().length;
    await expect(owner().fleet.deactivateAll({ projectId, confirm: "wrong name" })).rejects.toThrow(/confirm/);
    await expect(owner().agent.create({ projectId, name: "foreign-agent", role: "x" })).resolves.toBeDefined();
    await expect(owner().agent.create({ projectId, name: "foreign-agent", role: "x" })).rejects.toThrow(
      /already exists/,
    );
    expect(rows().length).toBe(before + 1);
  });

  it("refuses UPDATE and DELETE in the database itself", async () => {
    await someActivity();
    const first = rows()[0]!;
    expect(() => world.sqlite.prepare("update audit_events set target = 'x' where id = ?").run(first.id)).toThrow(
      /append-only/,
    );
    expect(() => world.sqlite.prepare("delete from audit_events where id = ?").run(first.id)).toThrow(/append-only/);
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });

  it("verify reports an intact chain with its row count", async () => {
    await someActivity();
    expect(verifyAudit(world.deps.db, projectId)).toEqual({ intact: true, rows: rows().length, checkpoint: null });
    expect(await owner().audit.verify({ projectId })).toEqual({
      intact: true,
      rows: rows().length,
      checkpoint: null,
      checked: rows().length,
      full: true,
      signedHead: null,
    });
  });

  it("verify finds an edited row", async () => {
    await someActivity();
    const victim = rows()[2]!;
    withoutTriggers(() =>
      world.sqlite.prepare("update audit_events set actor_name = 'someone else' where id = ?").run(victim.id),
    );
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: false, brokenAt: victim.id, rows: 2 });
  });

  it("verify finds an agent's sequence number or time changed after the fact", async () => {
    const key = world.as({ apiKey: world.keys.manage.secret });
    const { session } = await key.session.start({ name: "home-agent" });
    const items = [1, 2, 3].map((seq) => ({
      kind: "event" as const,
      id: `seq-tamper-${seq}`,
      agent: "home-agent",
      sessionId: session.id,
      operation: "tool_use",
      seq,
      at: 1_790_000_000_000 + seq,
    }));
    await key.ingest.report({ projectId, items });
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
    const id = (clientId: string) =>
      (world.sqlite.prepare("select id from audit_events where client_id = ?").get(clientId) as { id: number }).id;
    // Swapping two events in the agent's order, or moving one in time, is a change of content.
    withoutTriggers(() =>
      world.sqlite.prepare("update audit_events set seq = 9 where client_id = 'seq-tamper-2'").run(),
    );
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: false, brokenAt: id("seq-tamper-2") });
    world.sqlite.prepare("update audit_events set seq = 2 where client_id = 'seq-tamper-2'").run();
    world.sqlite.prepare("update audit_events set reported_at = 5 where client_id = 'seq-tamper-1'").run();
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: false, brokenAt: id("seq-tamper-1") });
  });

  it("verify finds a deleted row at its successor", async () => {
    await someActivity();
    const [, victim, next] = rows();
    withoutTriggers(() => world.sqlite.prepare("delete from audit_events where id = ?").run(victim!.id));
    const result = verifyAudit(world.deps.db, projectId);
    expect(result).toMatchObject({ intact: false, brokenAt: next!.id });
    expect(result.intact === false && result.reason).toMatch(/removed or inserted/);
  });

  it("verify finds an inserted row, even one whose own hash is correctly computed", async () => {
    await someActivity();
    const [first] = rows();
    const { hash: firstHash } = world.sqlite.prepare("select hash from audit_events where id = ?").get(first!.id) as {
      hash: string;
    };
    // A forged row that claims to follow the first row, with a valid hash over its own content.
    const forged = {
      projectId,
      at: 1,
      actorType: "user",
      actorId: null,
      actorName: "forger",
      operation: "agent.delete",
      target: "x",
      decision: null,
      agentId: null,
      sessionId: null,
      detail: {},
      prevHash: firstHash,
    };
    const { lastInsertRowid } = world.sqlite
      .prepare(
        `insert into audit_events (project_id, at, actor_type, actor_name, operation, target, detail, prev_hash, hash)
         values (?, 1, 'user', 'forger', 'agent.delete', 'x', '{}', ?, ?)`,
      )
      .run(projectId, firstHash, hashAuditRow(forged));
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: false, brokenAt: Number(lastInsertRowid) });
  });

  it("retention prunes only the old end behind a checkpoint, and the rest still verifies", async () => {
    await someActivity();
    const old = rows().length;
    world.clock.advance(100 * 86_400_000);
    // (The owner's session has expired by now; an API key acts instead.)
    await world.as({ apiKey: world.keys.manage.secret }).agent.create({ projectId, name: "recent", role: "coder" });
    expect(pruneAudit(world.deps, projectId, 90 * 86_400_000)).toEqual({ pruned: old });
    expect(rows().map((row) => row.operation)).toEqual(["agent.create"]);
    expect(verifyAudit(world.deps.db, projectId)).toEqual({
      intact: true,
      rows: 1,
      checkpoint: { throughId: expect.any(Number), prunedRows: old },
    });
    // Recent rows stay protected: only rows covered by a checkpoint can be deleted.
    expect(() => world.sqlite.prepare("delete from audit_events where project_id = ?").run(projectId)).toThrow(
      /append-only/,
    );
    expect(() => world.sqlite.prepare("delete from audit_checkpoints").run()).toThrow(/append-only/);
    // Pruning again with nothing old is a no-op.
    expect(pruneAudit(world.deps, projectId, 90 * 86_400_000)).toEqual({ pruned: 0 });
  });

  it("lists newest first with filters and keyset pages", async () => {
    await someActivity();
    const all = rows().reverse();
    const page1 = await owner().audit.list({ projectId, limit: 2 });
    const page2 = await owner().audit.list({ projectId, limit: 2, cursor: page1.nextCursor });
    expect([...page1.items, ...page2.items].map((e) => e.id)).toEqual(all.slice(0, 4).map((row) => row.id));
    const creates = await owner().audit.list({ projectId, operation: "agent.create" });
    expect(creates.items.every((e) => e.operation === "agent.create")).toBe(true);
  });

  it("lists carry what happened without the chain links; audit.get answers a row with them", async () => {
    await someActivity();
    const { items } = await owner().audit.list({ projectId, limit: 3 });
    for (const item of items) expect(Object.keys(item).sort()).toEqual([...AUDIT_EVENT_FIELDS].sort());
    const [newest, previous] = await Promise.all(
      items.slice(0, 2).map((item) => owner().audit.get({ projectId, id: item.id })),
    );
    expect(newest).toMatchObject(items[0]!);
    // The links are the stored chain: the newest row points at the one before it.
    expect(newest!.prevHash).toBe(previous!.hash);
    const stored = world.sqlite.prepare("select hash from audit_events where id = ?").get(items[0]!.id) as {
      hash: string;
    };
    expect(newest!.hash).toBe(stored.hash);
  });

  it("audit.get refuses a row of another project, or none, as not found", async () => {
    const foreignRow = world.sqlite
      .prepare("select max(id) as id from audit_events where project_id = ?")
      .get(world.foreignProjectId) as { id: number };
    await expect(owner().audit.get({ projectId, id: foreignRow.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(owner().audit.get({ projectId, id: 9_999_999 })).rejects.toThrow(/Audit row 9999999 not found/);
  });
});

describe("audit edge cases", () => {
  it("events with lone surrogates (in a target, a detail key, a nested detail value) are refused one by one, naming the field", async () => {
    const key = world.as({ apiKey: world.keys.manage.secret });
    const event = { kind: "event", agent: "home-agent", operation: "tool_use" };
    const before = rows().length;
    const result = await key.ingest.report({
      projectId,
      items: [
        { ...event, id: "surrogate-1", target: "x\ud800y" },
        { ...event, id: "surrogate-2", detail: { "k\udc00": "fine" } },
        { ...event, id: "surrogate-3", detail: { list: ["ok", { deep: "v\ud800" }] } },
        { ...event, id: "surrogate-ok", detail: { text: "emoji \ud83d\ude00 is fine" } },
      ],
    });
    expect(result.results.map((r) => [r.id, r.status, r.reason?.split(":")[0]])).toEqual([
      ["surrogate-1", "rejected", "target"],
      ["surrogate-2", "rejected", "detail"],
      ["surrogate-3", "rejected", "detail.list.1.deep"],
      ["surrogate-ok", "stored", undefined],
    ]);
    expect(result.results[0]!.reason).toMatch(/broken character/);
    expect(rows().length).toBe(before + 1);
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });

  it("an agent's back-dated event cannot make retention prune newer rows", async () => {
    const key = world.as({ apiKey: world.keys.manage.secret });
    await someActivity();
    const before = rows().length;
    await key.ingest.report({
      projectId,
      items: [{ kind: "event", id: "ancient-01", agent: "home-agent", operation: "tool_use", at: 0 }],
    });
    expect(pruneAudit(world.deps, projectId, 90 * 86_400_000)).toEqual({ pruned: 0 });
    expect(rows().length).toBe(before + 1);
    const stored = rows().at(-1)!;
    // The agent's claimed time is kept beside Tower's, in its own column (hashed with the row).
    expect(world.sqlite.prepare("select at, reported_at, seq from audit_events where id = ?").get(stored.id)).toEqual({
      at: expect.any(Number) as number,
      reported_at: 0,
      seq: null,
    });
    expect(JSON.parse(stored.detail)).toEqual({ reportedWith: world.keys.manage.prefix });
    expect(verifyAudit(world.deps.db, projectId)).toMatchObject({ intact: true });
  });
});

describe("hashAuditRow", () => {
  // Chains written by earlier versions hashed the fields and the detail as one JSON array; they
  // must still verify, so the hash is byte for byte that one, however the detail is passed in.
  const row = {
    prevHash: "0".repeat(64),
    projectId: "p-1",
    at: 1_790_000_000_123,
    actorType: "agent",
    actorId: "a-1",
    actorName: "ünïcode agent",
    operation: "tool_use",
    target: 'quote " and \\ backslash',
    decision: null,
    agentId: "a-1",
    sessionId: null,
  };
  const details = [{}, { n: 1 }, { nested: { list: [1, "two", null, { deep: true }] }, emoji: "🛰️", reportedAt: 5 }];
  it.each(details)("is the SHA-256 of the row as one JSON array: %j", (detail) => {
    const legacy = createHash("sha256")
      .update(JSON.stringify([...Object.values(row), detail]))
      .digest("hex");
    expect(hashAuditRow({ ...row, detail })).toBe(legacy);
    expect(hashAuditRow({ ...row, detail }, JSON.stringify(detail))).toBe(legacy);
    // Rows without an agent's time or sequence number (all rows before them, Tower's own) hash as before.
    expect(hashAuditRow({ ...row, detail, reportedAt: null, seq: null })).toBe(legacy);
  });

  it("covers an agent's time and sequence number when the row has them", () => {
    const detail = { n: 1 };
    const hash = (extra: { reportedAt?: number | null; seq?: number | null }) =>
      hashAuditRow({ ...row, detail, ...extra });
    const both = hash({ reportedAt: 5, seq: 1 });
    expect(both).toBe(
      createHash("sha256")
        .update(JSON.stringify([...Object.values(row), 5, 1, detail]))
        .digest("hex"),
    );
    const variants = [hash({}), both, hash({ reportedAt: 5, seq: 2 }), hash({ reportedAt: 6, seq: 1 })];
    variants.push(hash({ seq: 1 }), hash({ reportedAt: 5 }), hash({ reportedAt: 1, seq: 5 }));
    expect(new Set(variants).size).toBe(variants.length);
  });
});
