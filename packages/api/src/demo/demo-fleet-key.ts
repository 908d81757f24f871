import { agents, apiKeys } from "@tower/db";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createApiKey, revokeApiKey } from "../auth/api-key-service";
import { SYSTEM_ACTOR } from "../core/actor";
import { apiKeyRejection } from "../core/credentials";
import type { Deps } from "../core/deps";
import { sha256 } from "../core/tokens";

/** The name the demo fleet's key has in Settings → API keys. */
export const DEMO_FLEET_KEY_NAME = "demo fleet";

/**
 * The demo project's agents that `examples/demo-fleet` runs: the four hand-written ones and one of
 * the generated fleet whose budget (50,000 tokens per session) the fleet crosses now and then. The
 * key is bound to these names; the program learns them from the key (`apiKey.whoami`).
 */
export const DEMO_FLEET_AGENTS = ["scout", "builder", "critic", "concierge", "operations-ember-badger-01"] as const;

export type DemoFleetKeyOutcome =
  { status: "kept" | "created"; prefix: string; agentNames: string[] } | { status: "skipped"; reason: string };

/** The secret in the key file, or null when there is none to read. */
function readSecret(file: string): string | null {
  try {
    const secret = readFileSync(file, "utf8").trim();
    return secret.length > 0 ? secret : null;
  } catch {
    return null;
  }
}

/** Writes the secret readable by this user only (0600), whole or not at all (write, then rename). */
function writeSecret(file: string, secret: string) {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(partial, `${secret}\n`, { mode: 0o600 });
    chmodSync(partial, 0o600);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** The live keys Tower made for the fleet before (named so, by no person, with the agent scope only). */
function earlierFleetKeys({ db }: Deps, projectId: string) {
  return db
    .select({ id: apiKeys.id, scopes: apiKeys.scopes })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.projectId, projectId),
        eq(apiKeys.name, DEMO_FLEET_KEY_NAME),
        isNull(apiKeys.createdBy),
        isNull(apiKeys.revokedAt),
      ),
    )
    .all()
    .filter((key) => key.scopes.length === 1 && key.scopes[0] === "agent");
}

/**
 * Makes sure `file` holds a working key for the demo fleet: an `agent` key of the demo project,
 * bound to the fleet's agents that exist there, created by Tower itself (audited as the system) and
 * written to `file` with mode 0600. A key already in the file is kept while it works and covers
 * those agents; otherwise (no file, a revoked or expired key, another project's) a new one replaces
 * it, and the earlier fleet keys nobody can use any more (their secret is gone) are revoked. The
 * secret is never logged or returned.
 */
export function ensureDemoFleetKey(deps: Deps, projectId: string, file: string): DemoFleetKeyOutcome {
  const { db, clock } = deps;
  const present = db
    .select({ name: agents.name })
    .from(agents)
    .where(and(eq(agents.projectId, projectId), inArray(agents.name, [...DEMO_FLEET_AGENTS])))
    .all()
    .map((row) => row.name);
  const agentNames = DEMO_FLEET_AGENTS.filter((name) => present.includes(name));
  if (agentNames.length === 0)
    return { status: "skipped", reason: "none of the demo fleet's agents is in the project" };

  const secret = readSecret(file);
  if (secret !== null) {
    const key = db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.secretHash, sha256(secret)), eq(apiKeys.projectId, projectId)))
      .get();
    const works =
      key !== undefined &&
      apiKeyRejection(key, clock.now()) === null &&
      key.scopes.length === 1 &&
      key.scopes[0] === "agent" &&
      agentNames.every((name) => key.agentNames?.includes(name));
    if (works) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { status: "kept", prefix: key.prefix, agentNames: key.agentNames ?? [] };
    }
  }

  for (const key of earlierFleetKeys(deps, projectId)) revokeApiKey(deps, projectId, key.id, SYSTEM_ACTOR);
  const created = createApiKey(
    deps,
    projectId,
    { name: DEMO_FLEET_KEY_NAME, scopes: ["agent"], agentNames },
    SYSTEM_ACTOR,
  );
  try {
    writeSecret(file, created.secret);
  } catch (error) {
    // Nobody could ever use it: take it back rather than leave a live key behind.
    revokeApiKey(deps, projectId, created.id, SYSTEM_ACTOR);
    throw error;
  }
  return { status: "created", prefix: created.prefix, agentNames };
}

/** With the demo fleet turned off: revokes the keys Tower made for it and deletes the key file. */
export function retireDemoFleetKey(deps: Deps, projectId: string, file: string): { revoked: number } {
  const earlier = earlierFleetKeys(deps, projectId);
  for (const key of earlier) revokeApiKey(deps, projectId, key.id, SYSTEM_ACTOR);
  rmSync(file, { force: true });
  return { revoked: earlier.length };
}

/**
 * The server's start-up step for the demo fleet's key (see `ensureDemoFleetKey`): logs what it did
 * by path and key prefix, never the secret, and never stops the server: without a key the fleet
 * does not run, and everything else does.
 */
export function prepareDemoFleetKey(
  deps: Deps,
  { projectId, file, enabled }: { projectId: string; file: string; enabled: boolean },
): DemoFleetKeyOutcome | { status: "retired"; revoked: number } | { status: "failed" } {
  try {
    if (!enabled) {
      const { revoked } = retireDemoFleetKey(deps, projectId, file);
      if (revoked > 0) deps.logger.info({ revoked }, "demo fleet turned off: its API key was revoked");
      return { status: "retired", revoked };
    }
    const outcome = ensureDemoFleetKey(deps, projectId, file);
    if (outcome.status === "created") {
      deps.logger.info({ path: file, prefix: outcome.prefix }, "demo fleet API key created");
    } else if (outcome.status === "skipped") {
      deps.logger.warn({ reason: outcome.reason }, "demo fleet API key not created");
    }
    return outcome;
  } catch (error) {
    deps.logger.warn(
      { err: error, path: file },
      "demo fleet API key could not be prepared; the demo fleet will not run",
    );
    return { status: "failed" };
  }
}
