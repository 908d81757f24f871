import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAuditHeadSigner } from "@tower/api";
import { appendAuditRows } from "@tower/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

const cli = fileURLToPath(new URL("../../../packages/sdk/src/cli/main.ts", import.meta.url));

let tower: TestServer;
let adminKey: string;
let readKey: string;
const file = (name: string) => path.join(tower.files.dir, name);

beforeAll(async () => {
  tower = await startTestServer();
  const { projectId, owner } = tower;
  adminKey = (await owner.apiKey.create({ projectId, name: "auditor", scopes: ["admin"] })).secret;
  readKey = (await owner.apiKey.create({ projectId, name: "exporter", scopes: ["read"] })).secret;
  await owner.agent.create({ projectId, name: "audited", role: "coder" });
  appendAuditRows(tower.deps.db.$client, projectId, 2_500);
  await createAuditHeadSigner(tower.deps).signNow();
});
afterAll(async () => {
  await tower.stop();
});

function runCli(args: string[], apiKey = readKey): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      env: { ...process.env, TOWER_URL: tower.url, TOWER_API_KEY: apiKey, INIT_CWD: tower.files.dir },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const offline = (chain: string, heads = "heads.jsonl") =>
  runCli(["audit", "verify", "--chain", chain, "--heads", heads, "--public-key", "audit.pub"], "");

describe("tower audit (CLI)", () => {
  it("verify asks the server, with an admin key, and a second run reads only new rows", async () => {
    const first = await runCli(["audit", "verify"], adminKey);
    expect(first.stdout).toMatch(/^Audit trail intact, \d+ rows; every row read; holds the head signed at/);
    expect(first.code).toBe(0);
    const second = await runCli(["audit", "verify"], adminKey);
    expect(second.stdout).toContain("; 0 new rows read;");
    const full = await runCli(["audit", "verify", "--full"], adminKey);
    expect(full.stdout).toContain("; every row read;");

    const refused = await runCli(["audit", "verify"], readKey);
    expect(refused.stderr).toMatch(/Tower refused: .*admin/);
    expect(refused.code).toBe(2);
  });

  it("exports the chain and the signed heads, and verifies them offline without a server or key", async () => {
    const heads = await runCli(["audit", "heads", "--out", "heads.jsonl", "--public-key-out", "audit.pub"]);
    expect(heads.code).toBe(0);
    expect(readFileSync(file("audit.pub"), "utf8")).toBe(readFileSync(tower.files.auditKey + ".pub", "utf8"));
    const exported = await runCli(["audit", "export", "--out", "chain.jsonl"]);
    expect(exported.code).toBe(0);
    expect(readFileSync(file("chain.jsonl"), "utf8").trim().split("\n")).toHaveLength(1 + countRows());

    const result = await offline("chain.jsonl");
    expect(result.stdout).toMatch(/Exported chain intact, \d+ rows; holds the head signed at/);
    expect(result.code).toBe(0);
    // The server's own heads file checks the same way.
    expect((await offline("chain.jsonl", tower.files.auditHeads)).code).toBe(0);
  });

  it("reports rows cut from the end of an exported chain as truncation", async () => {
    const lines = readFileSync(file("chain.jsonl"), "utf8").trim().split("\n");
    writeFileSync(file("cut.jsonl"), `${lines.slice(0, -10).join("\n")}\n`);
    const result = await offline("cut.jsonl");
    expect(result.stdout).toMatch(/BROKEN at row \d+ \(truncated\): Rows were cut from the end: the chain ends at row/);
    expect(result.code).toBe(1);
    // The chain alone looks fine: only the signed head shows what is missing.
    const alone = await runCli(["audit", "verify", "--chain", "cut.jsonl"], "");
    expect(alone.stdout).toMatch(/Exported chain intact.*rows cut from the end cannot be detected/);
  });

  it("reports an edited row of the export, and a changed line of the heads file", async () => {
    const lines = readFileSync(file("chain.jsonl"), "utf8").trim().split("\n");
    const row = JSON.parse(lines[5]!) as { id: number; target: string };
    lines[5] = JSON.stringify({ ...row, target: "somewhere else" });
    writeFileSync(file("edited.jsonl"), `${lines.join("\n")}\n`);
    const edited = await offline("edited.jsonl");
    expect(edited.stdout).toContain(`BROKEN at row ${row.id} (content)`);
    expect(edited.code).toBe(1);

    const heads = readFileSync(file("heads.jsonl"), "utf8").trim().split("\n");
    const last = JSON.parse(heads.at(-1)!) as { rows: number };
    heads[heads.length - 1] = JSON.stringify({ ...last, rows: last.rows - 10 });
    writeFileSync(file("tampered-heads.jsonl"), `${heads.join("\n")}\n`);
    const tampered = await offline("chain.jsonl", "tampered-heads.jsonl");
    expect(tampered.stdout).toMatch(/✖ .*tampered-heads\.jsonl line \d+: the signature does not match/);
    expect(tampered.code).toBe(1);
  });
});

const countRows = () =>
  tower.deps.db.$client
    .prepare("select count(*) from audit_events where project_id = ?")
    .pluck()
    .get(tower.projectId) as number;
