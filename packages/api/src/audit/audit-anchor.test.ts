import { createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, type DbHandle } from "@tower/db";
import { checkSignedHead } from "@tower/shared/node";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Deps } from "../core/deps";
import { signUpUser } from "../test-fixtures";
import { appendAuditRows, callerFor, createTestDeps } from "../testing";
import { openAuditAnchor } from "./audit-anchor";
import { createInProcessAuditReader } from "./audit-chain-reader";
import { createAuditHeadSigner } from "./audit-head-signer";
import { verifyAuditChain } from "./audit-verify-service";
import { createAuditVerifyThrottle } from "./audit-verify-throttle";

let dir: string;
let env: ReturnType<typeof createTestDeps>;
let deps: Deps;
let projectId: string;
let ownerToken: string;
const opened: DbHandle[] = [];
const files = () => ({ keyPath: path.join(dir, "audit-key.pem"), headsPath: path.join(dir, "audit-heads.jsonl") });

function recordingLogger() {
  const lines: { level: number; msg: string; line?: number; reason?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Dependencies on `db` with the anchor read from the data folder, as a (re)started server has them. */
async function depsOn(db: DbHandle, logger = pino({ level: "silent" })): Promise<Deps> {
  return {
    ...env.deps,
    db: db.db,
    logger,
    audit: {
      reader: createInProcessAuditReader(db.db),
      anchor: await openAuditAnchor({ ...files(), logger }),
      verifyThrottle: createAuditVerifyThrottle({ perMinute: 1_000 }),
    },
  };
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-anchor-"));
  env = createTestDeps({ file: path.join(dir, "tower.sqlite") });
  deps = await depsOn({ db: env.deps.db, sqlite: env.sqlite, close: env.close });
  const owner = await signUpUser(deps, "owner@example.com", "Olivia Owner");
  ownerToken = owner.token;
  projectId = (await owner.caller.project.list())[0]!.projectId;
  await owner.caller.agent.create({ projectId, name: "scout", role: "researcher" });
  appendAuditRows(env.sqlite, projectId, 40);
  expect(await createAuditHeadSigner(deps).signNow()).toMatchObject({ refused: 0 });
});

afterEach(() => {
  deps.audit.anchor.close();
  for (const handle of opened.splice(0)) handle.close();
  env.close();
  rmSync(dir, { recursive: true, force: true });
});

const lastId = (sqlite = env.sqlite) =>
  sqlite.prepare("select max(id) from audit_events where project_id = ?").pluck().get(projectId) as number;

/** A copy of the database file, changed by `tamper` as someone holding the file would. */
function tamperedCopy(tamper: (sqlite: DbHandle["sqlite"]) => void): DbHandle {
  const copy = path.join(dir, `copy-${opened.length}.sqlite`);
  env.sqlite.exec(`vacuum into '${copy}'`);
  const handle = createDb(copy);
  opened.push(handle);
  tamper(handle.sqlite);
  return handle;
}

const withoutDeleteTrigger = (sqlite: DbHandle["sqlite"]) => sqlite.exec("drop trigger audit_events_no_delete");

describe("the signing key", () => {
  it("is created once in the data folder, readable by its owner only, with its public half beside it", async () => {
    const { keyPath } = files();
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${keyPath}.pub`, "utf8")).toBe(deps.audit.anchor.publicKey);
    const again = await openAuditAnchor({ ...files(), logger: pino({ level: "silent" }) });
    expect(again.keyId).toBe(deps.audit.anchor.keyId);
    again.close();
    // Nothing of the key is in the database.
    const pem = readFileSync(keyPath, "utf8").split("\n")[1]!;
    expect(readFileSync(path.join(dir, "tower.sqlite")).includes(pem)).toBe(false);
  });
});

describe("verify against the signed heads", () => {
  it("reports rows cut from the end of the file, which the chain alone cannot show", async () => {
    const signedThrough = lastId();
    const cut = tamperedCopy((sqlite) => {
      withoutDeleteTrigger(sqlite);
      sqlite.prepare("delete from audit_events where project_id = ? and id > ?").run(projectId, signedThrough - 5);
    });
    const result = await verifyAuditChain(await depsOn(cut), projectId, { full: true });
    expect(result).toMatchObject({ intact: false, problem: "truncated", brokenAt: signedThrough });
    expect(result.intact === false && result.reason).toMatch(
      new RegExp(`the chain ends at row ${signedThrough - 5} but the head signed at \\S+ covers row ${signedThrough}`),
    );

    // Without signed heads the cut chain looks intact: this is what the heads add.
    rmSync(files().headsPath);
    expect(await verifyAuditChain(await depsOn(cut), projectId, { full: true })).toMatchObject({ intact: true });
  });

  it("reports a forged checkpoint that 'prunes' everything (no trigger needs dropping)", async () => {
    const forged = tamperedCopy((sqlite) => {
      const last = sqlite
        .prepare("select id, hash from audit_events where project_id = ? order by id desc limit 1")
        .get(projectId) as { id: number; hash: string };
      sqlite
        .prepare(
          "insert into audit_checkpoints (project_id, through_id, through_hash, pruned_rows, at) values (?, ?, ?, 41, 0)",
        )
        .run(projectId, last.id, last.hash);
      sqlite.prepare("delete from audit_events where project_id = ?").run(projectId);
    });
    const result = await verifyAuditChain(await depsOn(forged), projectId, { full: false });
    expect(result).toMatchObject({ intact: false, problem: "checkpoint" });
    expect(result.intact === false && result.reason).toMatch(/no signed head accounts for/);

    rmSync(files().headsPath);
    expect(await verifyAuditChain(await depsOn(forged), projectId, { full: true })).toMatchObject({
      intact: true,
      rows: 0,
    });
  });

  it("a restarted server does not sign the head of a cut chain, and keeps reporting it", async () => {
    const signedThrough = lastId();
    const cut = tamperedCopy((sqlite) => {
      withoutDeleteTrigger(sqlite);
      sqlite.prepare("delete from audit_events where project_id = ? and id > ?").run(projectId, signedThrough - 1);
    });
    const { logger, lines } = recordingLogger();
    const restarted = await depsOn(cut, logger);
    expect(await createAuditHeadSigner(restarted).signNow()).toMatchObject({ signed: 0, refused: 1 });
    expect(lines.find((line) => line.msg.includes("no longer holds its last signed head"))).toMatchObject({
      reason: expect.stringMatching(/cut from the end/),
    });
    expect(restarted.audit.anchor.latest(projectId)).toMatchObject({ throughId: signedThrough });
    expect(await verifyAuditChain(restarted, projectId, { full: false })).toMatchObject({ problem: "truncated" });
    restarted.audit.anchor.close();
  });

  it("new rows get a new signed head; an unchanged chain none", async () => {
    const signer = createAuditHeadSigner(deps);
    expect(await signer.signNow()).toMatchObject({ signed: 0 });
    appendAuditRows(env.sqlite, projectId, 3);
    expect(await signer.signNow()).toMatchObject({ signed: 1 });
    expect(deps.audit.anchor.latest(projectId)).toMatchObject({ throughId: lastId() });
    const lines = readFileSync(files().headsPath, "utf8").trim().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { projectId: string }).projectId)).toContain(projectId);
  });
});

describe("the signed-heads file", () => {
  it("a changed line fails its signature: it is reported and never built on", async () => {
    appendAuditRows(env.sqlite, projectId, 3);
    await createAuditHeadSigner(deps).signNow();
    const genuine = deps.audit.anchor.recent(projectId, 2);
    expect(genuine).toHaveLength(2);
    const { headsPath } = files();
    const lines = readFileSync(headsPath, "utf8").trim().split("\n");
    const index = lines.findLastIndex((line) => line.includes(projectId));
    // Someone moves the newest head back, to hide the rows after it.
    lines[index] = JSON.stringify({ ...JSON.parse(lines[index]!), throughId: genuine[1]!.throughId - 2 });
    writeFileSync(headsPath, `${lines.join("\n")}\n`);

    const { logger, lines: logged } = recordingLogger();
    const reopened = await openAuditAnchor({ ...files(), logger });
    expect(logged.find((line) => line.msg === "signed audit head rejected")).toMatchObject({
      line: index + 1,
      reason: expect.stringMatching(/signature does not match/),
    });
    expect(reopened.latest(projectId)).toEqual(genuine[1]);
    reopened.close();
  });

  it("audit.heads serves the newest heads with the public key that verifies them", async () => {
    appendAuditRows(env.sqlite, projectId, 2);
    await createAuditHeadSigner(deps).signNow();
    const owner = callerFor(deps, { sessionToken: ownerToken });
    const { publicKey, keyId, heads } = await owner.audit.heads({ projectId, limit: 5 });
    expect(keyId).toBe(deps.audit.anchor.keyId);
    expect(heads.map((head) => head.throughId)).toEqual([lastId(), lastId() - 2]);
    for (const head of heads) expect(checkSignedHead(head, createPublicKey(publicKey))).toMatchObject({ ok: true });
  });

  it("audit.export pages through the whole chain with its links", async () => {
    const owner = callerFor(deps, { sessionToken: ownerToken });
    const rows = [];
    let after = 0;
    for (;;) {
      const page = await owner.audit.export({ projectId, after, limit: 7 });
      expect(page).toMatchObject({ projectId, checkpoint: null });
      rows.push(...page.rows);
      if (page.nextAfter === null) break;
      after = page.nextAfter;
    }
    const stored = env.sqlite
      .prepare("select id, hash from audit_events where project_id = ? order by id")
      .all(projectId);
    expect(rows.map(({ id, hash }) => ({ id, hash }))).toEqual(stored);
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
  });
});
