import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditChainReader } from "../core/audit-ports";
import type { Deps } from "../core/deps";
import { signUpUser } from "../test-fixtures";
import { appendAuditRows, createTestDeps } from "../testing";
import { readChainHeads } from "./audit-chain-walk";
import { startAuditReaderThread } from "./audit-reader-thread";
import { verifyAuditChain } from "./audit-verify-service";
import { createAuditVerifyThrottle } from "./audit-verify-throttle";

let dir: string;
let env: ReturnType<typeof createTestDeps>;
let projectId: string;
let thread: AuditChainReader;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-reader-"));
  const file = path.join(dir, "tower.sqlite");
  env = createTestDeps({ file });
  const owner = await signUpUser(env.deps, "owner@example.com", "Olivia Owner");
  projectId = (await owner.caller.project.list())[0]!.projectId;
  appendAuditRows(env.sqlite, projectId, 20_000);
  thread = await startAuditReaderThread({ file, logger: env.deps.logger, execArgv: [] });
});

afterEach(async () => {
  await thread.close();
  env.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The same dependencies with the chain read by `reader` (and no verify limit in the way). */
const using = (reader: AuditChainReader): Deps => ({
  ...env.deps,
  audit: { ...env.deps.audit, reader, verifyThrottle: createAuditVerifyThrottle({ perMinute: 1_000 }) },
});

/** Event-loop turns of this thread while `work` is pending: zero when the work holds the thread. */
async function turnsDuring(work: Promise<unknown>) {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await work;
  done = true;
  return turns;
}

describe("the audit reader thread", () => {
  it("verifies on its own read-only connection with the same answers as in process", async () => {
    const inProcess = await verifyAuditChain(env.deps, projectId, { full: true });
    const threaded = await verifyAuditChain(using(thread), projectId, { full: true });
    expect(threaded).toEqual(inProcess);
    expect(threaded).toMatchObject({ intact: true, checked: 20_001 });
    // The prefix it found intact was remembered by the server's connection: the next walk reads nothing.
    expect(await verifyAuditChain(using(thread), projectId, { full: false })).toMatchObject({ checked: 0 });
    expect(await thread.heads({})).toEqual(readChainHeads(env.deps.db, {}));
  });

  it("leaves the server's event loop free while it walks", async () => {
    const inProcess = await turnsDuring(verifyAuditChain(env.deps, projectId, { full: true }));
    const threaded = await turnsDuring(verifyAuditChain(using(thread), projectId, { full: true }));
    // In process the walk is one synchronous stretch; on the thread the loop keeps turning.
    expect(inProcess).toBeLessThan(5);
    expect(threaded).toBeGreaterThan(Math.max(20, inProcess * 10));
  });

  it("sees one snapshot per walk, and the rows committed before it starts", async () => {
    appendAuditRows(env.sqlite, projectId, 5);
    expect(await verifyAuditChain(using(thread), projectId, { full: true })).toMatchObject({ rows: 20_006 });
  });

  it("stops cleanly, and refuses work after", async () => {
    await thread.close();
    await expect(thread.walk({ projectId, resume: null, headThroughId: null })).rejects.toThrow(/shutting down/);
  });
});
