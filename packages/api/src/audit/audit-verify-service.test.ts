import { hashAuditRow } from "@tower/shared/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorld, expectTRPCError, type World } from "../test-fixtures";
import { appendAuditRows } from "../testing";
import { createAuditHeadSigner } from "./audit-head-signer";
import { pruneAudit } from "./audit-service";
import { createAuditVerifyThrottle } from "./audit-verify-throttle";

let world: World;
let projectId: string;
beforeEach(async () => {
  world = await createWorld();
  projectId = world.projectId;
});
afterEach(() => world.close());

const owner = () => world.as({ sessionToken: world.users.owner.token });
const lastId = () =>
  world.sqlite.prepare("select max(id) from audit_events where project_id = ?").pluck().get(projectId) as number;
const storedRows = () =>
  world.sqlite.prepare("select count(*) from audit_events where project_id = ?").pluck().get(projectId) as number;

/** Tampering as an attacker with the database file would: without the triggers, with raw SQL. */
function dropTriggers() {
  world.sqlite.exec("drop trigger audit_events_no_update; drop trigger audit_events_no_delete;");
}

/** Rewrites every row from `fromId` on with a changed actor name, re-hashing and re-linking them all. */
function rewriteChainFrom(fromId: number) {
  dropTriggers();
  const rows = world.sqlite
    .prepare("select * from audit_events where project_id = ? and id >= ? order by id")
    .all(projectId, fromId) as Record<string, unknown>[];
  let prevHash = world.sqlite
    .prepare("select hash from audit_events where project_id = ? and id < ? order by id desc limit 1")
    .pluck()
    .get(projectId, fromId) as string;
  const update = world.sqlite.prepare("update audit_events set actor_name = ?, prev_hash = ?, hash = ? where id = ?");
  rows.forEach((row, i) => {
    const content = {
      prevHash,
      projectId,
      at: row.at as number,
      actorType: row.actor_type as string,
      actorId: row.actor_id as string | null,
      actorName: i === 0 ? "someone else" : (row.actor_name as string),
      operation: row.operation as string,
      target: row.target as string,
      decision: row.decision as string | null,
      agentId: row.agent_id as string | null,
      sessionId: row.session_id as string | null,
      detail: JSON.parse(row.detail as string) as Record<string, unknown>,
    };
    const hash = hashAuditRow(content);
    update.run(content.actorName, prevHash, hash, row.id);
    prevHash = hash;
  });
}

describe("audit.verify", () => {
  it("is for admins (and admin keys) only", async () => {
    await expect(owner().audit.verify({ projectId })).resolves.toMatchObject({ intact: true });
    await expect(world.as({ apiKey: world.keys.admin.secret }).audit.verify({})).resolves.toMatchObject({
      intact: true,
    });
    await expectTRPCError(
      world.as({ sessionToken: world.users.operator.token }).audit.verify({ projectId }),
      "FORBIDDEN",
      /admin role/,
    );
    await expectTRPCError(world.as({ apiKey: world.keys.read.secret }).audit.verify({}), "FORBIDDEN");
  });

  it("reads only the rows after the prefix the last verify found intact, unless asked for all", async () => {
    const first = await owner().audit.verify({ projectId });
    expect(first).toMatchObject({ intact: true, full: true, rows: storedRows(), checked: storedRows() });

    appendAuditRows(world.sqlite, projectId, 250);
    const second = await owner().audit.verify({ projectId });
    expect(second).toMatchObject({ intact: true, full: false, rows: storedRows(), checked: 250 });

    const unchanged = await owner().audit.verify({ projectId });
    expect(unchanged).toMatchObject({ intact: true, full: false, rows: storedRows(), checked: 0 });

    const full = await owner().audit.verify({ projectId, full: true });
    expect(full).toMatchObject({ intact: true, full: true, rows: storedRows(), checked: storedRows() });
  });

  it("finds new rows that do not match, after a verified prefix", async () => {
    await owner().audit.verify({ projectId });
    appendAuditRows(world.sqlite, projectId, 10);
    const victim = lastId() - 3;
    dropTriggers();
    world.sqlite.prepare("update audit_events set target = 'elsewhere' where id = ?").run(victim);
    expect(await owner().audit.verify({ projectId })).toMatchObject({
      intact: false,
      brokenAt: victim,
      problem: "content",
    });
  });

  it("finds a rewrite of the verified prefix through its last row's hash, even with every hash recomputed", async () => {
    appendAuditRows(world.sqlite, projectId, 20);
    await owner().audit.verify({ projectId });
    const through = lastId();
    // Consistent all the way: a full walk alone cannot tell, the remembered hash can.
    rewriteChainFrom(through - 15);
    const result = await owner().audit.verify({ projectId });
    expect(result).toMatchObject({ intact: false, brokenAt: through, problem: "rewritten" });
    expect(result.intact === false && result.reason).toMatch(/no longer has the hash it had when it was verified/);
  });

  it("a full verify finds an edit inside the verified prefix that the incremental one skips", async () => {
    appendAuditRows(world.sqlite, projectId, 20);
    await owner().audit.verify({ projectId });
    const victim = lastId() - 10;
    dropTriggers();
    world.sqlite.prepare("update audit_events set target = 'elsewhere' where id = ?").run(victim);
    // The incremental verify trusts the prefix it remembered (its last row kept its hash)...
    expect(await owner().audit.verify({ projectId })).toMatchObject({ intact: true, checked: 0 });
    // ...the full one reads every row.
    expect(await owner().audit.verify({ projectId, full: true })).toMatchObject({
      intact: false,
      brokenAt: victim,
      problem: "content",
    });
  });

  it("a consistent rewrite of the whole chain contradicts the latest signed head, even in a full verify", async () => {
    appendAuditRows(world.sqlite, projectId, 20);
    const signer = createAuditHeadSigner(world.deps);
    expect(await signer.signNow()).toMatchObject({ signed: expect.any(Number), refused: 0 });
    const signed = world.deps.audit.anchor.latest(projectId)!;
    expect(signed).toMatchObject({ throughId: lastId(), rows: storedRows() });
    rewriteChainFrom(lastId() - 15);
    const result = await owner().audit.verify({ projectId, full: true });
    expect(result).toMatchObject({ intact: false, brokenAt: signed.throughId, problem: "rewritten" });
    // And the signer will not sign the rewritten chain.
    expect(await signer.signNow()).toMatchObject({ refused: 1 });
    expect(world.deps.audit.anchor.latest(projectId)).toEqual(signed);
  });

  it("retention pruning by the server keeps the chain verifiable before and after the next signed head", async () => {
    const signer = createAuditHeadSigner(world.deps);
    await signer.signNow();
    const before = storedRows();
    world.clock.advance(100 * 86_400_000);
    // (The owner's session has expired by now; API keys act instead.)
    await world.as({ apiKey: world.keys.manage.secret }).agent.create({ projectId, name: "recent", role: "coder" });
    const admin = world.as({ apiKey: world.keys.admin.secret });
    expect(pruneAudit(world.deps, projectId, 90 * 86_400_000)).toEqual({ pruned: before });
    // Vouched for by the process that pruned, before any head covers the checkpoint...
    expect(await admin.audit.verify({})).toMatchObject({ intact: true, rows: 1 });
    // ...and covered by the next head.
    await signer.signNow();
    const checkpoint = world.sqlite
      .prepare(
        "select through_id as throughId, through_hash as throughHash from audit_checkpoints where project_id = ?",
      )
      .get(projectId);
    expect(world.deps.audit.anchor.latest(projectId)).toMatchObject({ checkpoint, rows: before + 1 });
    expect(await admin.audit.verify({ full: true })).toMatchObject({ intact: true, rows: 1 });
  });

  it("is limited per project: a few a minute, then TOO_MANY_REQUESTS with the wait", async () => {
    for (let i = 0; i < 6; i++) await owner().audit.verify({ projectId });
    await expectTRPCError(owner().audit.verify({ projectId }), "TOO_MANY_REQUESTS", /try again in \d+ s/);
  });
});

describe("the verify throttle", () => {
  it("lets one verification of a project run at a time", async () => {
    const throttle = createAuditVerifyThrottle({ perMinute: 10 });
    let finish!: () => void;
    const running = throttle.run("p1", () => new Promise<void>((resolve) => (finish = resolve)));
    await expect(throttle.run("p1", () => Promise.resolve())).rejects.toThrow(/already running/);
    // Another project is not held up.
    await expect(throttle.run("p2", () => Promise.resolve("other"))).resolves.toBe("other");
    await new Promise((resolve) => setTimeout(resolve, 0));
    finish();
    await running;
    await expect(throttle.run("p1", () => Promise.resolve("next"))).resolves.toBe("next");
  });
});
