// A start that cannot go on for something the person starting Tower must fix (a broken suites
// file, a port in use, a bad setting) stops with what to fix in one message: exit code 1, no stack.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./reliability/server-process";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), "tower-start-problems-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spawnServer(env: Record<string, string>) {
  return spawn(process.execPath, ["--import", "tsx", main], {
    env: {
      ...process.env,
      TOWER_HOST: "127.0.0.1",
      TOWER_DB_PATH: path.join(mkdtempSync(path.join(dir, "data-")), "tower.sqlite"),
      TOWER_DEMO: "false",
      TOWER_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawnServer(env);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stderr };
}

describe("a start that cannot go on", () => {
  it("says what is wrong with the suites file, and where", async () => {
    const file = path.join(mkdtempSync(path.join(dir, "suites-")), "tower-suites.yaml");
    writeFileSync(file, "suites:\n  - name: [unclosed\n");
    const { code, stderr } = await start({ TOWER_PORT: String(await freePort()), TOWER_SUITES_PATH: file });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^Tower could not start: the suites file is not valid:\n {2}.*tower-suites\.yaml: not valid YAML/,
    );
    expect(stderr).toContain("Fix it, or move it away to start without suites.");
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);

  it("names the port in use and the setting that moves it", async () => {
    const taken = createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    const port = (taken.address() as { port: number }).port;
    try {
      const { code, stderr } = await start({ TOWER_PORT: String(port) });
      expect(code).toBe(1);
      expect(stderr).toContain(`Tower could not start: port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).toContain("TOWER_PORT");
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      taken.close();
    }
  }, 30_000);

  it("refuses a second server on the same database, leaving the first one serving", async () => {
    const file = path.join(mkdtempSync(path.join(dir, "shared-")), "tower.sqlite");
    const port = await freePort();
    const first = spawnServer({ TOWER_DB_PATH: file, TOWER_PORT: String(port) });
    try {
      await waitUntilReady(port);
      const { code, stderr } = await start({ TOWER_DB_PATH: file, TOWER_PORT: String(await freePort()) });
      expect(code).toBe(1);
      expect(stderr).toBe(
        `Tower could not start: another Tower server is already using ${file}: stop it first, or give this one its own TOWER_DB_PATH\n`,
      );
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      first.kill("SIGKILL");
      await once(first, "exit");
    }
    // Its lock went with it, SIGKILL and all: the next server on the file starts.
    const next = spawnServer({ TOWER_DB_PATH: file, TOWER_PORT: String(port) });
    try {
      await waitUntilReady(port);
    } finally {
      next.kill("SIGKILL");
      await once(next, "exit");
    }
  }, 60_000);

  it("lists the settings that are wrong", async () => {
    const { code, stderr } = await start({ TOWER_PORT: "not-a-port" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Tower could not start: Invalid server configuration:\n {2}TOWER_PORT: /);
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});

async function waitUntilReady(port: number) {
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no server ready on port ${port}`);
}
