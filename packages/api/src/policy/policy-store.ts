import { policyVersions, type DbOrTx } from "@tower/db";
import {
  DEFAULT_POLICY,
  describePolicyChanges,
  diffPolicies,
  PolicyDocumentSchema,
  type Actor,
  type ChangeEvent,
  type PolicyDocument,
  type PolicyVersion,
} from "@tower/shared";
import { and, desc, eq, lt, max } from "drizzle-orm";
import { stringify } from "yaml";
import { readYaml } from "../agents/identity-yaml";
import { appendAudit } from "../core/audit-chain";
import { publishChanges, recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";
import type { Deps } from "../core/deps";
import { DomainError, notFound } from "../core/errors";
import { prepared, slot } from "../core/prepared";
import { describeIssues } from "../core/zod-issues";
import { compilePolicy, type CompiledPolicy } from "./compiled-policy";
import { compiledPolicy } from "./policy-cache";

type VersionRow = typeof policyVersions.$inferSelect;

const toVersion = (row: VersionRow): PolicyVersion => ({
  version: row.version,
  document: row.document,
  summary: row.summary,
  createdAt: row.createdAt,
  actorName: row.actorName,
});

/** Version 0: the built-in default, in force until a project saves its first policy. */
const DEFAULT_VERSION: PolicyVersion = {
  version: 0,
  document: DEFAULT_POLICY,
  summary: "the built-in default: allow what passes the built-in checks",
  createdAt: 0,
  actorName: "tower",
};

/** The number of the version in force (0 while the project has saved none). */
export function currentVersionNumber(state: ConnectionState, db: DbOrTx, projectId: string): number {
  const row = prepared(state, "policy.currentVersion", () =>
    db
      .select({ version: max(policyVersions.version) })
      .from(policyVersions)
      .where(eq(policyVersions.projectId, slot("projectId")))
      .prepare(),
  ).get({ projectId });
  return row?.version ?? 0;
}

function readVersion(db: DbOrTx, projectId: string, version: number): PolicyVersion | undefined {
  if (version === 0) return DEFAULT_VERSION;
  const row = db
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.projectId, projectId), eq(policyVersions.version, version)))
    .get();
  return row && toVersion(row);
}

/** The policy in force, compiled once per version (one indexed read per check to learn the version). */
export function policyInForce({ db, state }: Pick<Deps, "db" | "state">, projectId: string): CompiledPolicy {
  const version = currentVersionNumber(state, db, projectId);
  return compiledPolicy(state, projectId, version, () =>
    compilePolicy(version, readVersion(db, projectId, version)?.document ?? DEFAULT_POLICY),
  );
}

export function getPolicy({ db, state }: Deps, projectId: string): PolicyVersion {
  return readVersion(db, projectId, currentVersionNumber(state, db, projectId))!;
}

export function getPolicyVersion({ db }: Deps, projectId: string, version: number): PolicyVersion {
  const found = readVersion(db, projectId, version);
  if (!found) throw notFound(`Policy version ${version}`);
  return found;
}

/** Versions newest first; the built-in default (0) ends the list. */
export function listPolicyVersions(
  { db }: Deps,
  projectId: string,
  { limit, cursor }: { limit: number; cursor?: number | null },
): { items: PolicyVersion[]; nextCursor: number | null } {
  const rows = db
    .select()
    .from(policyVersions)
    .where(and(eq(policyVersions.projectId, projectId), cursor ? lt(policyVersions.version, cursor) : undefined))
    .orderBy(desc(policyVersions.version))
    .limit(limit + 1)
    .all();
  const items = rows.slice(0, limit).map(toVersion);
  // Version 0 follows the stored ones: on this page if there is room, else alone on the next.
  const more = rows.length > limit || (items.length === limit && (items.at(-1)?.version ?? 0) > 0);
  if (!more && (cursor ?? 1) > 0) items.push(DEFAULT_VERSION);
  return { items, nextCursor: more ? items.at(-1)!.version : null };
}

export interface SaveResult {
  policy: PolicyVersion;
  /** False when the document equals the version in force: no version was made. */
  changed: boolean;
}

/**
 * Saves a new version when the document differs from the one in force. `expectedVersion` is the
 * version the edit started from: if someone saved since, nothing is saved and the caller is told.
 */
export function savePolicy(
  deps: Deps,
  projectId: string,
  document: PolicyDocument,
  expectedVersion: number,
  actor: Actor,
): SaveResult {
  const now = deps.clock.now();
  let event: ChangeEvent | null = null;
  const result = deps.db.transaction((tx): SaveResult => {
    const current = readVersion(tx, projectId, currentVersionNumber(deps.state, tx, projectId))!;
    if (current.version !== expectedVersion) {
      throw new DomainError(
        "CONFLICT",
        `The policy was changed meanwhile (now version ${current.version}, by ${current.actorName}); reload it and make your change again`,
      );
    }
    const changes = diffPolicies(current.document, document);
    if (changes.length === 0) return { policy: current, changed: false };
    const summary = describePolicyChanges(changes);
    const row: VersionRow = {
      projectId,
      version: current.version + 1,
      document,
      summary,
      actorType: actor.type,
      actorId: actor.id,
      actorName: actor.name,
      createdAt: now,
    };
    tx.insert(policyVersions).values(row).run();
    appendAudit(
      deps,
      tx,
      projectId,
      actor,
      {
        operation: "policy.updated",
        target: `version ${row.version}`,
        detail: { version: row.version, summary },
      },
      now,
    );
    event = recordChange(deps.state, tx, {
      projectId,
      entity: "policy",
      op: "updated",
      at: now,
      data: { id: projectId, version: row.version, summary, actorName: actor.name, createdAt: now },
    });
    return { policy: toVersion(row), changed: true };
  });
  publishChanges(deps, [event]);
  return result;
}

/** The policy in force as YAML, to keep in a repository and import again. */
export function exportPolicyYaml(deps: Deps, projectId: string): string {
  const { version, document } = getPolicy(deps, projectId);
  const header = `# Tower policy, version ${version}. Import it on the Policy page or with policy.importYaml.\n`;
  return header + stringify(document, { lineWidth: 0 });
}

/** Reads a policy from YAML (refused with every problem named) and saves it as a new version. */
export function importPolicyYaml(
  deps: Deps,
  projectId: string,
  yaml: string,
  expectedVersion: number,
  actor: Actor,
): SaveResult {
  let raw: unknown;
  try {
    raw = readYaml(yaml);
  } catch (error) {
    throw new DomainError("BAD_REQUEST", `The YAML could not be read: ${(error as Error).message}`, { field: "yaml" });
  }
  // An empty file is a mistake, not a policy without rules: importing it would remove every rule.
  if (raw === null || raw === undefined) {
    throw new DomainError("BAD_REQUEST", "The YAML is empty; a policy with no rules says `rules: []`", {
      field: "yaml",
    });
  }
  const parsed = PolicyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DomainError("BAD_REQUEST", `The policy is not valid: ${describeIssues(parsed.error)}`, { field: "yaml" });
  }
  return savePolicy(deps, projectId, parsed.data, expectedVersion, actor);
}
