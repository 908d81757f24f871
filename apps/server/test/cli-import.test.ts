import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      env: { ...process.env, TOWER_URL: tower.url, TOWER_API_KEY: tower.apiKey, ...env },
    });
    // A CLI that hangs fails the test instead of holding it forever.
    const guard = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.on("exit", () => clearTimeout(guard));
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
    // Not a terminal: the progress is one plain line at the end, no carriage returns.
    expect(first.stderr).toContain("Imported 10 of 10 files\n");
    expect(first.stderr).not.toContain("\r");
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

  it("skips links, special and oversized files, each on its own line, imports the rest, and exits 1", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-cli-"));
    const outside = mkdtempSync(path.join(os.tmpdir(), "tower-cli-outside-"));
    try {
      writeFileSync(path.join(dir, "a-good.yaml"), "name: cli-skip-good\nrole: tester\n");
      writeFileSync(path.join(dir, "z-good.json"), JSON.stringify({ name: "cli-skip-good-2", role: "tester" }));
      writeFileSync(path.join(outside, "shadow.yaml"), "root:$6$SECRETHASH:19000:0:99999:7:::\n");
      mkdirSync(path.join(outside, "sub"));
      symlinkSync(path.join(outside, "shadow.yaml"), path.join(dir, "secret.yaml"));
      symlinkSync(path.join(dir, "gone"), path.join(dir, "dangling.yaml"));
      symlinkSync(path.join(outside, "sub"), path.join(dir, "folder.yml"));
      writeFileSync(path.join(dir, "big.yaml"), `name: big\nrole: "${"x".repeat(300_000)}"\n`);
      writeFileSync(path.join(dir, "huge.yaml"), "");
      truncateSync(path.join(dir, "huge.yaml"), 600 * 1024 * 1024); // sparse: never read
      execFileSync("mkfifo", [path.join(dir, "pipe.yaml")]);

      const result = await runCli(["import", dir]);
      expect(result.stderr).toContain("Imported 2 of 2 files");
      expect(result.stderr).not.toMatch(/Tower refused|ENOENT|EISDIR/);
      const lines = result.stdout.split("\n");
      const lineOf = (name: string) => lines.filter((line) => line.startsWith(`✖ ${name}: `));
      expect(lineOf("secret.yaml")).toEqual([expect.stringMatching(/skipped: a symbolic link \(not followed/)]);
      expect(lineOf("dangling.yaml")).toEqual([expect.stringMatching(/skipped: a symbolic link/)]);
      expect(lineOf("folder.yml")).toEqual([expect.stringMatching(/skipped: a symbolic link/)]);
      expect(lineOf("big.yaml")).toEqual([expect.stringMatching(/skipped: .*over the 256 KiB limit/)]);
      expect(lineOf("huge.yaml")).toEqual([expect.stringMatching(/skipped: 629145600 bytes, over .*not read/)]);
      expect(lineOf("pipe.yaml")).toEqual([expect.stringMatching(/skipped: a named pipe/)]);
      expect(result.stdout).not.toContain("SECRETHASH");
      expect(result.stdout).toContain("2 created, 0 updated, 0 unchanged, 0 rejected, 6 unreadable files");
      expect(result.code).toBe(1);

      // A symbolic link named on the command line is not followed either.
      const named = await runCli(["import", path.join(dir, "secret.yaml")]);
      expect(named.stdout).toMatch(/✖ secret\.yaml: skipped: a symbolic link/);
      expect(named.stdout).toContain("0 created, 0 updated, 0 unchanged, 0 rejected, 1 unreadable files");
      expect(named.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  }, 60_000);

  it("gives up on a Tower that does not answer, and says when Tower cannot be reached", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-cli-"));
    const silent = createServer(() => {}); // accepts, never answers
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      writeFileSync(path.join(dir, "one.yaml"), "name: cli-timeout\nrole: tester\n");
      const slow = await runCli(["import", dir, "--timeout", "1"], { TOWER_URL: silentUrl });
      expect(slow.code).toBe(2);
      expect(slow.stderr).toMatch(new RegExp(`did not answer in time: no answer from ${silentUrl} within 1 s`));

      const down = await runCli(["import", dir], { TOWER_URL: "http://127.0.0.1:9" });
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/Tower could not be reached at http:\/\/127\.0\.0\.1:9/);
      expect(down.stderr).not.toContain("Tower refused");
    } finally {
      silent.closeAllConnections();
      silent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

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
