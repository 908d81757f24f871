import { apiKeys, auditEvents } from "@tower/db";
import { readIdentityFolder } from "@tower/shared/node";
import { and, eq } from "drizzle-orm";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "../auth/api-key-service";
import { SYSTEM_ACTOR } from "../core/actor";
import { resolveApiKey } from "../core/credentials";
import type { Deps } from "../core/deps";
import { callerFor, createTestDeps } from "../testing";
import {
  DEMO_FLEET_AGENTS,
  DEMO_FLEET_KEY_NAME,
  ensureDemoFleetKey,
  prepareDemoFleetKey,
  retireDemoFleetKey,
} from "./demo-fleet-key";
import { ensureDemoProject } from "./demo-seed";

const FLEET_DIR = fileURLToPath(new URL("../../../../examples/fleet", import.meta.url));

let dir: string;
let file: string;
let env: ReturnType<typeof createTestDeps>;
let deps: Deps;
let projectId: string;
/** Every line the deps' logger wrote, raw. */
let logged: string[];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-demo-fleet-key-"));
  file = path.join(dir, "data", "demo-fleet.key");
  env = createTestDeps();
  logged = [];
  deps = { ...env.deps, logger: pino({ level: "debug" }, { write: (line: string) => void logged.push(line) }) };
  projectId = ensureDemoProject(deps, readIdentityFolder(FLEET_DIR)).projectId;
});

afterEach(() => {
  env.close();
  rmSync(dir, { recursive: true, force: true });
});

const fleetKeys = () =>
  deps.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.projectId, projectId), eq(apiKeys.name, DEMO_FLEET_KEY_NAME)))
    .all();
const secretInFile = () => readFileSync(file, "utf8").trim();
const auditOf = (operation: string) =>
  deps.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.projectId, projectId), eq(auditEvents.operation, operation)))
    .all();

describe("the demo fleet's API key", () => {
  it("is created once: an agent key of the demo project bound to the fleet's agents, in a 0600 file", () => {
    const outcome = prepareDemoFleetKey(deps, { projectId, file, enabled: true });
    expect(outcome).toMatchObject({ status: "created", agentNames: [...DEMO_FLEET_AGENTS] });

    const secret = secretInFile();
    expect(secret).toMatch(/^tower_/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [key, ...others] = fleetKeys();
    expect(others).toEqual([]);
    expect(key).toMatchObject({
      scopes: ["agent"],
      agentNames: [...DEMO_FLEET_AGENTS],
      createdBy: null,
      revokedAt: null,
    });
    expect(key!.expiresAt).toBeNull();
    const resolved = resolveApiKey(deps, secret);
    expect(resolved).toMatchObject({ ok: true, projectId, scopes: ["agent"] });

    // Audited as Tower itself, with the prefix only.
    const [created] = auditOf("apiKey.create");
    expect(created).toMatchObject({ actorType: "system", actorName: SYSTEM_ACTOR.name, target: DEMO_FLEET_KEY_NAME });
    expect(JSON.stringify(created)).not.toContain(secret);

    // Logged by path and prefix, never the secret.
    expect(logged.join("\n")).toContain("demo fleet API key created");
    expect(logged.join("\n")).toContain(key!.prefix);
    expect(logged.join("\n")).not.toContain(secret);
  });

  it("is kept on later starts while its file holds it: no new key, no audit row", () => {
    ensureDemoFleetKey(deps, projectId, file);
    const secret = secretInFile();
    const audited = auditOf("apiKey.create").length;

    expect(ensureDemoFleetKey(deps, projectId, file)).toMatchObject({ status: "kept" });
    expect(prepareDemoFleetKey(deps, { projectId, file, enabled: true })).toMatchObject({ status: "kept" });
    expect(secretInFile()).toBe(secret);
    expect(fleetKeys()).toHaveLength(1);
    expect(auditOf("apiKey.create")).toHaveLength(audited);
  });

  it("makes its file private again when it was opened to others", () => {
    ensureDemoFleetKey(deps, projectId, file);
    chmodSync(file, 0o644);
    expect(ensureDemoFleetKey(deps, projectId, file)).toMatchObject({ status: "kept" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("is replaced when its file is gone, and the key nobody holds any more is revoked (audited)", () => {
    ensureDemoFleetKey(deps, projectId, file);
    const first = secretInFile();
    rmSync(file);

    expect(ensureDemoFleetKey(deps, projectId, file)).toMatchObject({ status: "created" });
    const second = secretInFile();
    expect(second).not.toBe(first);
    expect(resolveApiKey(deps, first)).toMatchObject({ ok: false, reason: expect.stringMatching(/revoked/) });
    expect(resolveApiKey(deps, second)).toMatchObject({ ok: true });
    expect(fleetKeys().filter((key) => key.revokedAt === null)).toHaveLength(1);
    expect(auditOf("apiKey.revoke")).toEqual([
      expect.objectContaining({ actorType: "system", target: DEMO_FLEET_KEY_NAME }),
    ]);
  });

  it("is replaced when someone revoked it, or the file holds a key that does not belong to the demo project", async () => {
    ensureDemoFleetKey(deps, projectId, file);
    const [key] = fleetKeys();
    revokeApiKey(deps, projectId, key!.id, SYSTEM_ACTOR);
    expect(ensureDemoFleetKey(deps, projectId, file)).toMatchObject({ status: "created" });

    // A key of another project written over the file (by mistake) is never used for the fleet.
    const anonymous = callerFor(deps);
    await anonymous.auth.signUp({
      email: "owner@example.com",
      name: "Owner",
      password: "correct horse battery staple",
      setupCode: deps.setupCode,
    });
    const owner = callerFor(deps, { sessionToken: anonymous.cookies.token });
    const other = await owner.project.create({ name: "Elsewhere" });
    const foreign = createApiKey(deps, other.projectId, { name: "elsewhere", scopes: ["admin"] }, SYSTEM_ACTOR);
    writeFileSync(file, foreign.secret);
    expect(ensureDemoFleetKey(deps, projectId, file)).toMatchObject({ status: "created" });
    expect(secretInFile()).not.toBe(foreign.secret);
    expect(resolveApiKey(deps, foreign.secret)).toMatchObject({ ok: true });
  });

  it("is bound only to the fleet's agents the project has", () => {
    const bare = createTestDeps();
    try {
      const { projectId: demo } = ensureDemoProject(bare.deps, []);
      const outcome = ensureDemoFleetKey(bare.deps, demo, file);
      // Without the generated fleet the fifth agent is missing: the key names the four that exist.
      expect(outcome).toMatchObject({ status: "created", agentNames: ["scout", "builder", "critic", "concierge"] });
    } finally {
      bare.close();
    }
  });

  it("is revoked, and its file deleted, when the fleet is turned off", () => {
    ensureDemoFleetKey(deps, projectId, file);
    expect(prepareDemoFleetKey(deps, { projectId, file, enabled: false })).toEqual({ status: "retired", revoked: 1 });
    expect(existsSync(file)).toBe(false);
    expect(fleetKeys().every((key) => key.revokedAt !== null)).toBe(true);
    expect(retireDemoFleetKey(deps, projectId, file)).toEqual({ revoked: 0 });
  });

  it("leaves no live key behind when its file cannot be written, and says so without stopping", () => {
    // The key's folder is a file: nothing can be written under it.
    writeFileSync(path.join(dir, "blocked"), "");
    const blocked = path.join(dir, "blocked", "demo-fleet.key");
    expect(prepareDemoFleetKey(deps, { projectId, file: blocked, enabled: true })).toEqual({ status: "failed" });
    expect(fleetKeys().every((key) => key.revokedAt !== null)).toBe(true);
    expect(logged.join("\n")).toContain("the demo fleet will not run");
  });
});
