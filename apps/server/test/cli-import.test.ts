import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

const cli = fileURLToPath(new URL("../../../packages/sdk/src/cli/main.ts", import.meta.url));
const demoFleet = fileURLToPath(new URL("../../../examples/fleet", import.meta.url));

let tower: TestServer;
beforeAll(async () => {
  tower = await startTestServer();
});
afterAll(async () => {
  await tower.stop();
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      env: { ...process.env, TOWER_URL: tower.url, TOWER_API_KEY: tower.apiKey },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("tower import (CLI)", () => {
  it("imports the demo fleet, then finds it unchanged on a second run", async () => {
    const first = await runCli(["import", demoFleet]);
    expect(first.stderr).toContain("Imported 10 of 10 files");
    expect(first.stdout).toContain("200 created, 0 updated, 0 unchanged, 0 rejected, 0 unreadable files");
    expect(first.code).toBe(0);
    const summary = await tower.owner.agent.summary({ projectId: tower.projectId });
    expect(summary.total).toBe(200);

    const second = await runCli(["import", demoFleet]);
    expect(second.stdout).toContain("0 created, 0 updated, 200 unchanged");
    expect(second.code).toBe(0);
  }, 60_000);

  it("reports broken files and rejected agents with their reasons, and exits 1", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-cli-"));
    try {
      writeFileSync(path.join(dir, "good.yaml"), "name: cli-good\nrole: tester\n");
      writeFileSync(path.join(dir, "no-role.json"), JSON.stringify([{ name: "cli-no-role" }]));
      writeFileSync(path.join(dir, "broken.yaml"), "agents: [ {name: oops\n");
      const result = await runCli(["import", dir]);
      expect(result.stdout).toMatch(/broken\.yaml: .+/);
      expect(result.stdout).toMatch(/no-role\.json › cli-no-role: role: /);
      expect(result.stdout).toContain("1 created, 0 updated, 0 unchanged, 1 rejected, 1 unreadable files");
      expect(result.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("explains how to pass a key when none is given", async () => {
    const child = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const proc = spawn(process.execPath, ["--import", "tsx", cli, "import", demoFleet], {
        env: { ...process.env, TOWER_API_KEY: "" },
      });
      let stderr = "";
      proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      proc.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(child.code).toBe(2);
    expect(child.stderr).toContain("--api-key");
  });
});
