/**
 * Who may call what: every project-scoped procedure × every kind of caller × own or foreign project.
 * The expectations are written out as data below, not derived from the code under test.
 */
import { createECDH, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AuditEvent, RunAssignment } from "@tower/shared";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "./core/deps";
import type { SharedJson } from "./core/shared-json";
import { flushDecisions } from "./policy/decision-log";
import { appRouter } from "./root";
import { stopAllSuites } from "./suites/suite-service";
import { loadSuitesFile } from "./suites/suites-file";
import { callerWithSignal, createWorld, expectTRPCError, inviteAndSignUp, reader, type World } from "./test-fixtures";
import { callerFor } from "./testing";

const CALLERS = [
  "owner",
  "admin",
  "operator",
  "viewer",
  "keyAdmin",
  "keyManage",
  "keyRead",
  "keyAgent",
  "otherProjectMember",
  "anonymous",
  "revokedKey",
] as const;
type CallerName = (typeof CALLERS)[number];
/** `REFUSED`: the call is answered, but every report in it is refused and nothing is stored. */
type Outcome = "ok" | "FORBIDDEN" | "UNAUTHORIZED" | "REFUSED";

const ok = "ok" as const;
const F = "FORBIDDEN" as const;
const U = "UNAUTHORIZED" as const;
const R = "REFUSED" as const;

/**
 * Columns follow CALLERS: owner, admin, operator, viewer, admin key, manage key, read key, agent key
 * (bound to home-agent: every call here is about another agent, so it is refused), other project's
 * member, anonymous, revoked key. Enabling agents again (one, a team, all) is for people and admin
 * keys; a manage key can only disable.
 */
const OWN_PROJECT = {
  "agent.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "agent.byId": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "agent.byName": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "agent.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "agent.create": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "agent.register": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "agent.update": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "agent.delete": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "apiKey.list": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "apiKey.create": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "apiKey.revoke": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "invite.list": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "invite.create": [ok, ok, F, F, F, F, F, F, F, U, U],
  "invite.revoke": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "project.members": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "member.remove": [ok, ok, F, F, F, F, F, F, F, U, U],
  "member.setRole": [ok, ok, F, F, F, F, F, F, F, U, U],
  "member.revokeSessions": [ok, ok, F, F, F, F, F, F, F, U, U],
  "member.createResetLink": [ok, ok, F, F, F, F, F, F, F, U, U],
  "project.settings": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "project.onPeopleChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "project.updateSettings": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "agent.summary": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "agent.setEnabled": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "agent.import": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "session.start": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "session.heartbeat": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "session.report": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "session.end": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "session.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "team.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "team.byId": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "team.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "team.create": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "team.update": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "team.activate": [ok, ok, ok, F, ok, F, F, F, F, U, U],
  "team.deactivate": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "team.delete": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "fleet.activateAll": [ok, ok, ok, F, ok, F, F, F, F, U, U],
  "fleet.deactivateAll": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "ingest.report": [ok, ok, ok, F, ok, ok, F, R, F, U, U],
  "metrics.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.aggregate": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.overview": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.budgetUsage": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.alerts": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.onAlert": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.prices": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "metrics.setPrice": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "metrics.resetPrice": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "audit.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "audit.get": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "audit.stats": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "audit.verify": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "audit.heads": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "audit.export": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "audit.onAppend": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  // Policy: reads for every viewer-level caller; checking and cancelling as for session.start (an
  // agent key only as its own agents: every call here is about another agent); saving is admin's.
  "policy.check": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "policy.try": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "policy.get": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "policy.versions": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "policy.version": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "policy.exportYaml": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "policy.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "policy.save": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "policy.importYaml": [ok, ok, F, F, ok, F, F, F, F, U, U],
  "approval.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "approval.byId": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "approval.pendingCount": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "approval.wait": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "approval.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  // People with the policy's approver role (operator here) only: no key ever decides, not even an admin key.
  "approval.decide": [ok, ok, ok, F, F, F, F, F, F, U, U],
  "approval.cancel": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "grant.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "grant.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "grant.revoke": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  // Work: reads for every viewer-level caller; changing tasks and runs is for operators; what the
  // agent holding a run calls is as for session.start (an agent key only as its own agents: every
  // run here is another agent's, or no agent's yet).
  "task.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "task.byId": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "task.preview": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "task.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "task.create": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "task.update": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "task.delete": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "task.runNow": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "task.enqueueMany": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "run.byId": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "run.logs": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "run.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "run.cancel": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.retry": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.assignments": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.heartbeat": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.complete": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.fail": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "run.report": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  // Test suites: everyone in the project watches them; starting and cancelling runs is for operators.
  "suite.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "suite.runs": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "suite.runById": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "suite.results": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "suite.output": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "suite.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "suite.start": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "suite.cancel": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  // Workflows: everyone in the project watches them; defining, starting and stopping them is for operators.
  "workflow.list": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "workflow.byId": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "workflow.runs": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "workflow.runById": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "workflow.onChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "workflow.onRunChange": [ok, ok, ok, ok, ok, ok, ok, F, F, U, U],
  "workflow.create": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "workflow.update": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "workflow.delete": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "workflow.start": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
  "workflow.stop": [ok, ok, ok, F, ok, ok, F, F, F, U, U],
} satisfies Record<string, Outcome[]>;

/** Nobody here is a member of the foreign project, and keys are bound to their own project. */
const FOREIGN_PROJECT = {
  "agent.list": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.byId": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.byName": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.create": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.register": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.update": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.delete": [F, F, F, F, F, F, F, F, F, U, U],
  "apiKey.list": [F, F, F, F, F, F, F, F, F, U, U],
  "apiKey.create": [F, F, F, F, F, F, F, F, F, U, U],
  "apiKey.revoke": [F, F, F, F, F, F, F, F, F, U, U],
  "invite.list": [F, F, F, F, F, F, F, F, F, U, U],
  "invite.create": [F, F, F, F, F, F, F, F, F, U, U],
  "invite.revoke": [F, F, F, F, F, F, F, F, F, U, U],
  "project.members": [F, F, F, F, F, F, F, F, F, U, U],
  "member.remove": [F, F, F, F, F, F, F, F, F, U, U],
  "member.setRole": [F, F, F, F, F, F, F, F, F, U, U],
  "member.revokeSessions": [F, F, F, F, F, F, F, F, F, U, U],
  "member.createResetLink": [F, F, F, F, F, F, F, F, F, U, U],
  "project.settings": [F, F, F, F, F, F, F, F, F, U, U],
  "project.onPeopleChange": [F, F, F, F, F, F, F, F, F, U, U],
  "project.updateSettings": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.summary": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.setEnabled": [F, F, F, F, F, F, F, F, F, U, U],
  "agent.import": [F, F, F, F, F, F, F, F, F, U, U],
  "session.start": [F, F, F, F, F, F, F, F, F, U, U],
  "session.heartbeat": [F, F, F, F, F, F, F, F, F, U, U],
  "session.report": [F, F, F, F, F, F, F, F, F, U, U],
  "session.end": [F, F, F, F, F, F, F, F, F, U, U],
  "session.list": [F, F, F, F, F, F, F, F, F, U, U],
  "team.list": [F, F, F, F, F, F, F, F, F, U, U],
  "team.byId": [F, F, F, F, F, F, F, F, F, U, U],
  "team.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "team.create": [F, F, F, F, F, F, F, F, F, U, U],
  "team.update": [F, F, F, F, F, F, F, F, F, U, U],
  "team.activate": [F, F, F, F, F, F, F, F, F, U, U],
  "team.deactivate": [F, F, F, F, F, F, F, F, F, U, U],
  "team.delete": [F, F, F, F, F, F, F, F, F, U, U],
  "fleet.activateAll": [F, F, F, F, F, F, F, F, F, U, U],
  "fleet.deactivateAll": [F, F, F, F, F, F, F, F, F, U, U],
  "ingest.report": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.list": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.aggregate": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.overview": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.budgetUsage": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.alerts": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.onAlert": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.prices": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.setPrice": [F, F, F, F, F, F, F, F, F, U, U],
  "metrics.resetPrice": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.list": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.get": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.stats": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.verify": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.heads": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.export": [F, F, F, F, F, F, F, F, F, U, U],
  "audit.onAppend": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.check": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.try": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.get": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.versions": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.version": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.exportYaml": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.save": [F, F, F, F, F, F, F, F, F, U, U],
  "policy.importYaml": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.list": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.byId": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.pendingCount": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.wait": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.decide": [F, F, F, F, F, F, F, F, F, U, U],
  "approval.cancel": [F, F, F, F, F, F, F, F, F, U, U],
  "grant.list": [F, F, F, F, F, F, F, F, F, U, U],
  "grant.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "grant.revoke": [F, F, F, F, F, F, F, F, F, U, U],
  "task.list": [F, F, F, F, F, F, F, F, F, U, U],
  "task.byId": [F, F, F, F, F, F, F, F, F, U, U],
  "task.preview": [F, F, F, F, F, F, F, F, F, U, U],
  "task.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "task.create": [F, F, F, F, F, F, F, F, F, U, U],
  "task.update": [F, F, F, F, F, F, F, F, F, U, U],
  "task.delete": [F, F, F, F, F, F, F, F, F, U, U],
  "task.runNow": [F, F, F, F, F, F, F, F, F, U, U],
  "task.enqueueMany": [F, F, F, F, F, F, F, F, F, U, U],
  "run.list": [F, F, F, F, F, F, F, F, F, U, U],
  "run.byId": [F, F, F, F, F, F, F, F, F, U, U],
  "run.logs": [F, F, F, F, F, F, F, F, F, U, U],
  "run.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "run.cancel": [F, F, F, F, F, F, F, F, F, U, U],
  "run.retry": [F, F, F, F, F, F, F, F, F, U, U],
  "run.assignments": [F, F, F, F, F, F, F, F, F, U, U],
  "run.heartbeat": [F, F, F, F, F, F, F, F, F, U, U],
  "run.complete": [F, F, F, F, F, F, F, F, F, U, U],
  "run.fail": [F, F, F, F, F, F, F, F, F, U, U],
  "run.report": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.list": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.runs": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.runById": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.results": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.output": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.start": [F, F, F, F, F, F, F, F, F, U, U],
  "suite.cancel": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.list": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.byId": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.runs": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.runById": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.onChange": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.onRunChange": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.create": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.update": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.delete": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.start": [F, F, F, F, F, F, F, F, F, U, U],
  "workflow.stop": [F, F, F, F, F, F, F, F, F, U, U],
} satisfies Record<keyof typeof OWN_PROJECT, Outcome[]>;

type ProcedureName = keyof typeof OWN_PROJECT;
type TargetName = "own" | "foreign";

/** What the `quick` suite prints: a line of its own, then a passing test over Tower's live line protocol. */
const QUICK_LINES = [
  "quick ran",
  JSON.stringify({ tower: "begin", total: 1 }),
  JSON.stringify({ tower: "test", name: "works", status: "passed", durationMs: 1 }),
];
/** The server's suites: `quick` passes at once; `slow` says it started, then runs until cancelled. */
const SUITES = [
  {
    name: "quick",
    command: [process.execPath, "-e", QUICK_LINES.map((line) => `console.log(${JSON.stringify(line)});`).join("\n")],
    format: "tower-jsonl",
  },
  {
    name: "slow",
    command: [process.execPath, "-e", 'console.log("started"); setInterval(() => {}, 1000);'],
    format: "tower-jsonl",
    timeoutSeconds: 3600,
  },
];

let world: World;
let suitesDir: string;
beforeAll(async () => {
  suitesDir = mkdtempSync(path.join(os.tmpdir(), "tower-matrix-suites-"));
  const file = path.join(suitesDir, "tower-suites.json");
  writeFileSync(file, JSON.stringify({ suites: SUITES }));
  const suites = (await loadSuitesFile(file))!;
  world = await createWorld({ suites: { suites, env: { PATH: process.env.PATH }, file } });
});
afterAll(async () => {
  await stopAllSuites(world.deps);
  world.close();
  rmSync(suitesDir, { recursive: true, force: true });
});

const controllers: AbortController[] = [];
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
});

function credentialsOf(name: CallerName): Credentials {
  const { users, keys } = world;
  switch (name) {
    case "owner":
      return { sessionToken: users.owner.token };
    case "admin":
      return { sessionToken: users.admin.token };
    case "operator":
      return { sessionToken: users.operator.token };
    case "viewer":
      return { sessionToken: users.viewer.token };
    case "keyAdmin":
      return { apiKey: keys.admin.secret };
    case "keyManage":
      return { apiKey: keys.manage.secret };
    case "keyRead":
      return { apiKey: keys.read.secret };
    case "keyAgent":
      return { apiKey: keys.agent.secret };
    case "otherProjectMember":
      return { sessionToken: users.outsider.token };
    case "anonymous":
      return {};
    case "revokedKey":
      return { apiKey: keys.revoked.secret };
  }
}

interface Target {
  projectId: string;
  projectName: string;
  /** The target project's owner, who prepares state there and checks results. */
  admin: ReturnType<typeof callerFor>;
  ownerEmail: string;
}

function target(name: TargetName): Target {
  return name === "own"
    ? {
        projectId: world.projectId,
        projectName: "Olivia Owner's project",
        admin: world.users.owner.caller,
        ownerEmail: "owner@example.com",
      }
    : {
        projectId: world.foreignProjectId,
        projectName: "Foreign",
        admin: world.users.foreignOwner.caller,
        ownerEmail: "foreign@example.com",
      };
}

/** Every row of the target project's tables: a denied call must leave all of it untouched. */
function snapshot(projectId: string) {
  const rows = (table: string) =>
    world.sqlite.prepare(`select * from ${table} where project_id = ? order by rowid`).all(projectId);
  return {
    agents: rows("agents"),
    apiKeys: rows("api_keys"),
    invites: rows("invites"),
    memberships: rows("memberships"),
    changes: rows("changes"),
    teams: rows("teams"),
    sessions: rows("agent_sessions"),
    audit: rows("audit_events"),
    metrics: rows("metrics"),
    prices: rows("model_prices"),
    alerts: rows("budget_alerts"),
    policyVersions: rows("policy_versions"),
    approvals: rows("approvals"),
    grants: rows("policy_grants"),
    tasks: rows("tasks"),
    runs: rows("runs"),
    workflows: rows("workflows"),
    workflowRuns: rows("workflow_runs"),
    runLogs: world.sqlite
      .prepare("select * from run_logs where run_id in (select id from runs where project_id = ?) order by id")
      .all(projectId),
    suiteRuns: rows("suite_runs"),
    suiteResults: world.sqlite
      .prepare(
        "select * from suite_results where run_id in (select id from suite_runs where project_id = ?) order by id",
      )
      .all(projectId),
    suiteOutput: world.sqlite
      .prepare(
        "select * from suite_output where run_id in (select id from suite_runs where project_id = ?) order by id",
      )
      .all(projectId),
  };
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

type Caller = ReturnType<typeof callerWithSignal>;
interface Spec<P> {
  /** Fresh state in the target project for this one call. */
  prepare(t: Target): Promise<P>;
  call(caller: Caller, t: Target, p: P): Promise<unknown>;
  /** Checks the effect of an allowed call. */
  allowed(result: unknown, t: Target, p: P): Promise<void>;
}
const spec = <P>(s: Spec<P>) => s as Spec<unknown>;

const freshAgent = (t: Target) =>
  t.admin.agent.create({ projectId: t.projectId, name: unique("target"), role: "coder", description: "original" });
const agentIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from agents where project_id = ? and id = ?").get(t.projectId, id) as
    | {
        name: string;
        description: string;
        project_id: string;
        status: string;
        team_id: string | null;
        runs_count: number;
      }
    | undefined;
const sessionIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from agent_sessions where project_id = ? and id = ?").get(t.projectId, id) as
    { ended_at: number | null; end_reason: string | null; runs: number } | undefined;
const teamIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from teams where project_id = ? and id = ?").get(t.projectId, id) as
    { name: string; description: string; active: number } | undefined;
/** A fresh agent with an open session, started by the target project's owner. */
const freshSession = async (t: Target) => {
  const agent = await freshAgent(t);
  const { session } = await t.admin.session.start({ projectId: t.projectId, name: agent.name });
  return { agent, session };
};
/** A new viewer of the target project, signed in, with an invite from its owner. */
const freshMember = async (t: Target) => {
  const name = unique("member");
  const member = await inviteAndSignUp(world.deps, t.admin, t.projectId, "viewer", `${name}@example.com`, name);
  return { userId: member.user.id, token: member.token };
};
const membershipIn = (t: Target, userId: string) =>
  world.sqlite.prepare("select role from memberships where project_id = ? and user_id = ?").get(t.projectId, userId) as
    { role: string } | undefined;
const freshTeam = (t: Target) =>
  t.admin.team.create({ projectId: t.projectId, name: unique("team"), description: "original", roleMix: { coder: 1 } });
/** A team of one agent with a role of its own, so activation has exactly one candidate. */
const freshTeamWithCandidate = async (t: Target) => {
  const role = unique("role");
  const agent = await t.admin.agent.create({ projectId: t.projectId, name: unique("candidate"), role });
  const team = await t.admin.team.create({ projectId: t.projectId, name: unique("team"), roleMix: { [role]: 1 } });
  return { agent, team };
};

/** The rule every approval below comes from: tool "Ask" needs a person. Approvers: operators (the default). */
const ASK_RULE = {
  id: "ask",
  match: { tools: ["Ask"] },
  effect: "require_approval" as const,
  reason: "Ask a person",
};
/** Puts the ask rule (and `extra`, when given: a document unlike the one in force) in force; returns the version. */
const policyWithAsk = async (t: Target, extra?: string) => {
  const current = await t.admin.policy.get({ projectId: t.projectId });
  if (!extra && current.document.rules.some((r) => r.id === ASK_RULE.id)) return current.version;
  const rules = [
    ASK_RULE,
    ...(extra ? [{ id: extra, match: { tools: [extra] }, effect: "deny" as const, reason: extra }] : []),
  ];
  const saved = await t.admin.policy.save({
    projectId: t.projectId,
    document: { rules },
    expectedVersion: current.version,
  });
  return saved.policy.version;
};
/** The target project's manage key, made once: agents' processes ask with it (whoever asks may not decide). */
const askers = new Map<string, ReturnType<typeof callerFor>>();
const askerIn = async (t: Target) => {
  let asker = askers.get(t.projectId);
  if (!asker) {
    const key = await t.admin.apiKey.create({ projectId: t.projectId, name: "asker", scopes: ["manage"] });
    asker = world.as({ apiKey: key.secret });
    askers.set(t.projectId, asker);
  }
  return asker;
};
/** A pending approval of a fresh agent, asked for through the target project's manage key. */
const freshApproval = async (t: Target) => {
  const agent = await freshAgent(t);
  await policyWithAsk(t);
  const decision = await (await askerIn(t)).policy.check({ agent: agent.name, tool: "Ask" });
  expect(decision.decision).toBe("requires_approval");
  return { agent, id: decision.approvalId! };
};
/** An approval its owner approved with a grant of an hour. */
const freshGrant = async (t: Target) => {
  const approval = await freshApproval(t);
  const decided = await t.admin.approval.decide({
    projectId: t.projectId,
    id: approval.id,
    decision: "approve",
    grantMinutes: 60,
  });
  return { ...approval, grantId: decided.grantId! };
};
const approvalIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from approvals where project_id = ? and id = ?").get(t.projectId, id) as
    { status: string; decider_name: string | null } | undefined;
const lastChangeId = async (t: Target) => (await t.admin.agent.list({ projectId: t.projectId, limit: 1 })).lastEventId;
/** A fresh task; its runs go to `agent` (by default one that does not exist, so no agent here takes them). */
const freshTask = (t: Target, agent = unique("absent")) =>
  t.admin.task.create({
    projectId: t.projectId,
    name: unique("task"),
    description: "original",
    target: { kind: "agent", value: agent },
  });
const taskIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from tasks where project_id = ? and id = ?").get(t.projectId, id) as
    { name: string; description: string } | undefined;
const runIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from runs where project_id = ? and id = ?").get(t.projectId, id) as
    | {
        status: string;
        agent_name: string | null;
        progress: number | null;
        error: string | null;
        retry_of: string | null;
        log_lines: number;
      }
    | undefined;
/** A queued run of a fresh task that no agent here takes. */
const freshRun = async (t: Target) => {
  const task = await freshTask(t);
  const run = await t.admin.task.runNow({ projectId: t.projectId, id: task.id });
  return { task, run };
};
/**
 * Lets agents take work: the rule imported above (no match: every tool) denies them every task's
 * runs, so it gives way to a document that denies only a tool of its own.
 */
const policyAllowingWork = async (t: Target) => {
  const current = await t.admin.policy.get({ projectId: t.projectId });
  if (current.document.rules.some((r) => r.effect === "deny" && r.match.tools === undefined)) {
    await policyWithAsk(t, unique("work"));
  }
};
/** A queued run of a fresh task targeted at a fresh agent, which may take it. */
const freshRunFor = async (t: Target) => {
  await policyAllowingWork(t);
  const agent = await freshAgent(t);
  const task = await freshTask(t, agent.name);
  const run = await t.admin.task.runNow({ projectId: t.projectId, id: task.id });
  return { agent, task, run };
};
/** The first item an assignments stream pushes; the stream then stops. */
const firstAssignment = async (stream: unknown) => {
  const iterator = (stream as AsyncIterable<RunAssignment>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.(undefined);
  return first.value as RunAssignment;
};
/** A run leased by a fresh agent: queued for it, then claimed through the owner's assignments stream. */
const freshHeldRun = async (t: Target) => {
  const p = await freshRunFor(t);
  const assignment = await firstAssignment(
    await t.admin.run.assignments({ projectId: t.projectId, agent: p.agent.name }),
  );
  expect(assignment).toMatchObject({ type: "run", run: { id: p.run.id, status: "leased" } });
  return p;
};

const suiteRunIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from suite_runs where project_id = ? and id = ?").get(t.projectId, id) as
    { status: string; suite_name: string; output_lines: number } | undefined;
/** Polls the run's row until `done` holds of it; returns the row. */
const suiteRunUntil = async (
  t: Target,
  id: string,
  done: (row: NonNullable<ReturnType<typeof suiteRunIn>>) => boolean,
) => {
  for (let i = 0; i < 400; i++) {
    const row = suiteRunIn(t, id);
    if (row && done(row)) return row;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`suite run ${id} is still ${JSON.stringify(suiteRunIn(t, id))}`);
};
/** Waits until the run has ended: its end and the audit of it are written, and nothing more will be. */
const suiteRunEnded = (t: Target, id: string) => suiteRunUntil(t, id, (row) => row.status !== "running");
/**
 * Ends the runs of `suite` still going in the target project (cancels `slow`, waits for `quick`):
 * a suite runs once at a time per project, and no case may have a run write behind it.
 */
const endSuiteRuns = async (t: Target, suite: "quick" | "slow") => {
  const running = world.sqlite
    .prepare("select id from suite_runs where project_id = ? and suite_name = ? and status = 'running'")
    .all(t.projectId, suite) as { id: string }[];
  for (const { id } of running) {
    if (suite === "slow") await t.admin.suite.cancel({ projectId: t.projectId, id });
    await suiteRunEnded(t, id);
  }
};
/** A run of `quick` started by the target project's owner, ended (passed), as runById shows it. */
const freshSuiteRun = async (t: Target) => {
  await endSuiteRuns(t, "quick");
  const started = await t.admin.suite.start({ projectId: t.projectId, name: "quick" });
  await suiteRunEnded(t, started.id);
  return t.admin.suite.runById({ projectId: t.projectId, id: started.id });
};
/** A run of `slow` going on: its command has started and printed (so a cancel reaches it), and prints no more. */
const runningSlowSuite = async (t: Target) => {
  await endSuiteRuns(t, "slow");
  const run = await t.admin.suite.start({ projectId: t.projectId, name: "slow" });
  await suiteRunUntil(t, run.id, (row) => row.output_lines > 0);
  return run;
};

/** Two steps for an agent that does not exist (one of its own), so no agent here ever takes their runs. */
const workflowSteps = () => {
  const target = { kind: "agent" as const, value: unique("nobody") };
  return [
    { name: "first", target },
    { name: "second", target },
  ];
};
/** A fresh workflow, defined by the target project's owner. */
const freshWorkflow = (t: Target) =>
  t.admin.workflow.create({
    projectId: t.projectId,
    name: unique("workflow"),
    description: "original",
    steps: workflowSteps(),
  });
const workflowIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from workflows where project_id = ? and id = ?").get(t.projectId, id) as
    { name: string; description: string } | undefined;
const workflowRunIn = (t: Target, id: string) =>
  world.sqlite.prepare("select * from workflow_runs where project_id = ? and id = ?").get(t.projectId, id) as
    { status: string; workflow_id: string | null; current_step: number } | undefined;
/** The runs of a started workflow's steps, by step. */
const stepRunsOf = (t: Target, workflowRunId: string) =>
  world.sqlite
    .prepare(
      "select id, status, workflow_step from runs where project_id = ? and workflow_run_id = ? order by workflow_step",
    )
    .all(t.projectId, workflowRunId) as { id: string; status: string; workflow_step: number }[];
/** A fresh workflow started by the target project's owner: its first step's run queued, for no agent here. */
const freshWorkflowRun = async (t: Target) => {
  const workflow = await freshWorkflow(t);
  const run = await t.admin.workflow.start({ projectId: t.projectId, id: workflow.id });
  return { workflow, run };
};

const SPECS: Record<ProcedureName, Spec<unknown>> = {
  "workflow.list": spec({
    prepare: freshWorkflow,
    call: (c, t) => c.workflow.list({ projectId: t.projectId, limit: 200 }),
    async allowed(result, t, workflow) {
      const page = result as { items: { id: string; projectId: string }[] };
      expect(page.items.map((w) => w.id)).toContain(workflow.id);
      expect(page.items.every((w) => w.projectId === t.projectId)).toBe(true);
    },
  }),
  "workflow.byId": spec({
    prepare: freshWorkflow,
    call: (c, t, workflow) => c.workflow.byId({ projectId: t.projectId, id: workflow.id }),
    async allowed(result, _t, workflow) {
      expect(result).toEqual(workflow);
    },
  }),
  "workflow.runs": spec({
    prepare: freshWorkflowRun,
    call: (c, t, p) => c.workflow.runs({ projectId: t.projectId, workflowId: p.workflow.id }),
    async allowed(result, _t, p) {
      expect((result as { items: { id: string }[] }).items.map((r) => r.id)).toEqual([p.run.id]);
    },
  }),
  "workflow.runById": spec({
    prepare: freshWorkflowRun,
    call: (c, t, p) => c.workflow.runById({ projectId: t.projectId, id: p.run.id }),
    async allowed(result, _t, p) {
      expect(result).toEqual(p.run);
      expect(result).toMatchObject({ workflowId: p.workflow.id, status: "running", currentStep: 0 });
    },
  }),
  "workflow.onChange": spec({
    async prepare(t) {
      const before = await lastChangeId(t);
      return { before, workflow: await freshWorkflow(t) };
    },
    call: (c, t, p) => c.workflow.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "workflow", op: "created", data: { id: p.workflow.id } });
    },
  }),
  "workflow.onRunChange": spec({
    async prepare(t) {
      const workflow = await freshWorkflow(t);
      const before = await lastChangeId(t);
      const run = await t.admin.workflow.start({ projectId: t.projectId, id: workflow.id });
      return { before, workflow, run };
    },
    call: (c, t, p) => c.workflow.onRunChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({
        entity: "workflowRun",
        op: "created",
        data: { id: p.run.id, workflowId: p.workflow.id, status: "running" },
      });
    },
  }),
  "workflow.create": spec({
    prepare: async () => unique("made-workflow"),
    call: (c, t, name) => c.workflow.create({ projectId: t.projectId, name, steps: workflowSteps() }),
    async allowed(result, t, name) {
      expect(result).toMatchObject({ name, projectId: t.projectId });
      expect(workflowIn(t, (result as { id: string }).id)?.name).toBe(name);
    },
  }),
  "workflow.update": spec({
    prepare: freshWorkflow,
    call: (c, t, workflow) => c.workflow.update({ projectId: t.projectId, id: workflow.id, description: "updated" }),
    async allowed(result, t, workflow) {
      expect(result).toMatchObject({ id: workflow.id, description: "updated" });
      expect(workflowIn(t, workflow.id)?.description).toBe("updated");
    },
  }),
  "workflow.delete": spec({
    prepare: freshWorkflow,
    call: (c, t, workflow) => c.workflow.delete({ projectId: t.projectId, id: workflow.id }),
    async allowed(result, t, workflow) {
      expect(result).toEqual({ id: workflow.id });
      expect(workflowIn(t, workflow.id)).toBeUndefined();
    },
  }),
  "workflow.start": spec({
    prepare: freshWorkflow,
    call: (c, t, workflow) => c.workflow.start({ projectId: t.projectId, id: workflow.id }),
    async allowed(result, t, workflow) {
      const run = result as { id: string; steps: { status: string; runId: string | null }[] };
      expect(result).toMatchObject({ workflowId: workflow.id, status: "running", currentStep: 0 });
      expect(run.steps.map((s) => s.status)).toEqual(["queued", "pending"]);
      expect(workflowRunIn(t, run.id)).toMatchObject({ status: "running", workflow_id: workflow.id, current_step: 0 });
      expect(stepRunsOf(t, run.id)).toEqual([{ id: run.steps[0]!.runId, status: "queued", workflow_step: 0 }]);
    },
  }),
  "workflow.stop": spec({
    prepare: freshWorkflowRun,
    call: (c, t, p) => c.workflow.stop({ projectId: t.projectId, id: p.run.id }),
    async allowed(result, t, p) {
      const stopped = result as { steps: { status: string }[] };
      expect(result).toMatchObject({ id: p.run.id, status: "stopped", finishedAt: expect.any(Number) });
      expect(stopped.steps.map((s) => s.status)).toEqual(["cancelled", "skipped"]);
      expect(workflowRunIn(t, p.run.id)?.status).toBe("stopped");
      expect(stepRunsOf(t, p.run.id)).toEqual([{ id: p.run.steps[0]!.runId, status: "cancelled", workflow_step: 0 }]);
    },
  }),
  "suite.list": spec({
    prepare: async () => undefined,
    call: (c, t) => c.suite.list({ projectId: t.projectId }),
    async allowed(result) {
      const { suites, file } = result as { suites: { name: string; command: string }[]; file: string | null };
      expect(file).toMatch(/tower-suites\.json$/);
      expect(suites.map((s) => s.name)).toEqual(["quick", "slow"]);
      expect(JSON.stringify(suites)).not.toContain("PATH");
    },
  }),
  "suite.runs": spec({
    prepare: freshSuiteRun,
    call: (c, t) => c.suite.runs({ projectId: t.projectId, suite: "quick", limit: 1 }),
    async allowed(result, _t, run) {
      expect((result as { items: { id: string }[] }).items.map((r) => r.id)).toEqual([run.id]);
    },
  }),
  "suite.runById": spec({
    prepare: freshSuiteRun,
    call: (c, t, run) => c.suite.runById({ projectId: t.projectId, id: run.id }),
    async allowed(result, _t, run) {
      expect(result).toEqual(run);
      expect(result).toMatchObject({ suiteName: "quick", status: "passed", passed: 1, total: 1, exitCode: 0 });
    },
  }),
  "suite.results": spec({
    prepare: freshSuiteRun,
    call: (c, t, run) => c.suite.results({ projectId: t.projectId, id: run.id }),
    async allowed(result) {
      expect((result as { items: unknown[] }).items).toEqual([
        expect.objectContaining({ name: "works", status: "passed", durationMs: 1 }),
      ]);
    },
  }),
  "suite.output": spec({
    prepare: freshSuiteRun,
    call: (c, t, run) => c.suite.output({ projectId: t.projectId, id: run.id }),
    async allowed(result) {
      // The protocol lines are results, not output: only the suite's own line.
      expect((result as { items: { line: string }[] }).items.map((l) => l.line)).toEqual(["quick ran"]);
    },
  }),
  "suite.onChange": spec({
    async prepare(t) {
      const before = await lastChangeId(t);
      return { before, run: await freshSuiteRun(t) };
    },
    call: (c, t, p) => c.suite.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({
        entity: "suiteRun",
        op: "created",
        data: { id: p.run.id, status: "running" },
      });
    },
  }),
  "suite.start": spec({
    prepare: (t) => endSuiteRuns(t, "quick"),
    call: (c, t) => c.suite.start({ projectId: t.projectId, name: "quick" }),
    async allowed(result, t) {
      const run = result as { id: string };
      expect(result).toMatchObject({ projectId: t.projectId, suiteName: "quick", status: "running" });
      expect(suiteRunIn(t, run.id)?.suite_name).toBe("quick");
      expect((await suiteRunEnded(t, run.id)).status).toBe("passed");
    },
  }),
  "suite.cancel": spec({
    prepare: runningSlowSuite,
    call: (c, t, run) => c.suite.cancel({ projectId: t.projectId, id: run.id }),
    async allowed(result, t, run) {
      expect(result).toMatchObject({ id: run.id, suiteName: "slow" });
      expect((await suiteRunEnded(t, run.id)).status).toBe("cancelled");
    },
  }),
  "task.list": spec({
    prepare: freshTask,
    call: (c, t, task) => c.task.list({ projectId: t.projectId, search: task.name }),
    async allowed(result, t, task) {
      const page = result as { items: { id: string; projectId: string }[] };
      expect(page.items.map((x) => x.id)).toContain(task.id);
      expect(page.items.every((x) => x.projectId === t.projectId)).toBe(true);
    },
  }),
  "task.byId": spec({
    prepare: freshTask,
    call: (c, t, task) => c.task.byId({ projectId: t.projectId, id: task.id }),
    async allowed(result, _t, task) {
      expect(result).toEqual(task);
    },
  }),
  "task.preview": spec({
    prepare: async () => undefined,
    call: (c, t) => c.task.preview({ projectId: t.projectId, cron: "0 9 * * 1-5", timezone: "Europe/Paris" }),
    async allowed(result) {
      // The manual clock starts at 2026-01-01T00:00Z, a Thursday.
      const { fires, timezone } = result as { fires: number[]; timezone: string };
      expect(timezone).toBe("Europe/Paris");
      expect(fires.map((at) => new Date(at).toISOString())).toEqual([
        "2026-01-01T08:00:00.000Z",
        "2026-01-02T08:00:00.000Z",
        "2026-01-05T08:00:00.000Z",
        "2026-01-06T08:00:00.000Z",
        "2026-01-07T08:00:00.000Z",
      ]);
    },
  }),
  "task.onChange": spec({
    async prepare(t) {
      const before = await lastChangeId(t);
      return { before, task: await freshTask(t) };
    },
    call: (c, t, p) => c.task.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "task", op: "created", data: { id: p.task.id } });
    },
  }),
  "task.create": spec({
    prepare: async () => unique("made-task"),
    call: (c, t, name) =>
      c.task.create({ projectId: t.projectId, name, target: { kind: "agent", value: unique("absent") } }),
    async allowed(result, t, name) {
      expect(result).toMatchObject({ name, projectId: t.projectId });
      expect(taskIn(t, (result as { id: string }).id)?.name).toBe(name);
    },
  }),
  "task.update": spec({
    prepare: freshTask,
    call: (c, t, task) => c.task.update({ projectId: t.projectId, id: task.id, description: "updated" }),
    async allowed(result, t, task) {
      expect(result).toMatchObject({ id: task.id, description: "updated" });
      expect(taskIn(t, task.id)?.description).toBe("updated");
    },
  }),
  "task.delete": spec({
    prepare: freshTask,
    call: (c, t, task) => c.task.delete({ projectId: t.projectId, id: task.id }),
    async allowed(result, t, task) {
      expect(result).toEqual({ id: task.id });
      expect(taskIn(t, task.id)).toBeUndefined();
    },
  }),
  "task.runNow": spec({
    prepare: freshTask,
    call: (c, t, task) => c.task.runNow({ projectId: t.projectId, id: task.id }),
    async allowed(result, t, task) {
      const run = result as { id: string };
      expect(result).toMatchObject({ taskId: task.id, status: "queued" });
      expect(runIn(t, run.id)?.status).toBe("queued");
    },
  }),
  "task.enqueueMany": spec({
    prepare: freshTask,
    call: (c, t, task) =>
      c.task.enqueueMany({ projectId: t.projectId, task: task.name, runs: [{ input: { n: 1 } }, {}] }),
    async allowed(result, t, task) {
      const { ids } = result as { ids: string[] };
      expect(ids).toHaveLength(2);
      for (const id of ids) expect(runIn(t, id)).toMatchObject({ status: "queued", task_id: task.id });
    },
  }),
  "run.list": spec({
    prepare: freshRun,
    call: (c, t, p) => c.run.list({ projectId: t.projectId, taskId: p.task.id }),
    async allowed(result, _t, p) {
      expect((result as { items: { id: string }[] }).items.map((r) => r.id)).toEqual([p.run.id]);
    },
  }),
  "run.byId": spec({
    prepare: freshRun,
    call: (c, t, p) => c.run.byId({ projectId: t.projectId, id: p.run.id }),
    async allowed(result, _t, p) {
      expect(result).toEqual(p.run);
    },
  }),
  "run.logs": spec({
    async prepare(t) {
      const p = await freshHeldRun(t);
      await t.admin.run.heartbeat({ projectId: t.projectId, id: p.run.id, logs: ["one", "two"] });
      return p;
    },
    call: (c, t, p) => c.run.logs({ projectId: t.projectId, id: p.run.id }),
    async allowed(result) {
      expect((result as { items: { line: string }[] }).items.map((l) => l.line)).toEqual(["one", "two"]);
    },
  }),
  "run.onChange": spec({
    async prepare(t) {
      const before = await lastChangeId(t);
      return { before, ...(await freshRun(t)) };
    },
    call: (c, t, p) => c.run.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "run", op: "created", data: { id: p.run.id, status: "queued" } });
    },
  }),
  "run.cancel": spec({
    prepare: freshRun,
    call: (c, t, p) => c.run.cancel({ projectId: t.projectId, id: p.run.id }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ id: p.run.id, status: "cancelled", cancelRequested: true });
      expect(runIn(t, p.run.id)?.status).toBe("cancelled");
    },
  }),
  "run.retry": spec({
    async prepare(t) {
      const p = await freshRun(t);
      await t.admin.run.cancel({ projectId: t.projectId, id: p.run.id });
      return p;
    },
    call: (c, t, p) => c.run.retry({ projectId: t.projectId, id: p.run.id }),
    async allowed(result, t, p) {
      const retried = result as { id: string };
      expect(result).toMatchObject({ status: "queued", trigger: "retry", retryOf: p.run.id, taskId: p.task.id });
      expect(runIn(t, retried.id)).toMatchObject({ status: "queued", retry_of: p.run.id });
    },
  }),
  "run.assignments": spec({
    prepare: freshRunFor,
    call: (c, t, p) => c.run.assignments({ projectId: t.projectId, agent: p.agent.name }),
    async allowed(result, t, p) {
      expect(await firstAssignment(result)).toMatchObject({ type: "run", run: { id: p.run.id, status: "leased" } });
      expect(runIn(t, p.run.id)).toMatchObject({ status: "leased", agent_name: p.agent.name });
    },
  }),
  "run.heartbeat": spec({
    prepare: freshHeldRun,
    call: (c, t, p) => c.run.heartbeat({ projectId: t.projectId, id: p.run.id, attempt: 1, progress: 40 }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ cancelRequested: false, status: "running" });
      expect(runIn(t, p.run.id)).toMatchObject({ status: "running", progress: 40 });
    },
  }),
  "run.complete": spec({
    prepare: freshHeldRun,
    call: (c, t, p) =>
      c.run.complete({ projectId: t.projectId, id: p.run.id, attempt: 1, output: { done: true }, logs: ["done"] }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ id: p.run.id, status: "succeeded", output: { done: true } });
      expect(runIn(t, p.run.id)).toMatchObject({ status: "succeeded", log_lines: 1 });
    },
  }),
  "run.fail": spec({
    prepare: freshHeldRun,
    call: (c, t, p) => c.run.fail({ projectId: t.projectId, id: p.run.id, attempt: 1, error: "boom" }),
    async allowed(result, t, p) {
      // One attempt (the task's default): the run ends failed.
      expect(result).toMatchObject({ id: p.run.id, status: "failed", error: "boom" });
      expect(runIn(t, p.run.id)).toMatchObject({ status: "failed", error: "boom" });
    },
  }),
  "run.report": spec({
    prepare: freshHeldRun,
    call: (c, t, p) =>
      c.run.report({
        projectId: t.projectId,
        reports: [{ kind: "complete", id: p.run.id, attempt: 1, output: { done: true } }],
      }),
    async allowed(result, t, p) {
      expect(result).toEqual([{ ok: true, status: "succeeded", cancelRequested: false, leaseExpiresAt: null }]);
      expect(runIn(t, p.run.id)).toMatchObject({ status: "succeeded" });
    },
  }),
  "policy.check": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.policy.check({ projectId: t.projectId, agent: agent.name, tool: "Read", input: { n: 1 } }),
    async allowed(result, t, agent) {
      expect(result).toMatchObject({ decision: "allowed", source: "default" });
      // Decisions are logged a moment later: wait for the row, so it lands in no other case.
      await flushDecisions(world.deps);
      const row = world.sqlite
        .prepare(
          "select decision from audit_events where project_id = ? and operation = 'policy.check' and agent_id = ?",
        )
        .get(t.projectId, agent.id);
      expect(row).toEqual({ decision: "allowed" });
    },
  }),
  "policy.try": spec({
    async prepare(t) {
      await policyWithAsk(t);
      return freshAgent(t);
    },
    call: (c, t, agent) => c.policy.try({ projectId: t.projectId, agent: agent.name, tool: "Ask" }),
    async allowed(result, t, agent) {
      expect(result).toMatchObject({ decision: "requires_approval", ruleId: "ask", approvalId: null });
      expect(world.sqlite.prepare("select * from approvals where agent_id = ?").all(agent.id)).toEqual([]);
    },
  }),
  "policy.get": spec({
    prepare: (t) => policyWithAsk(t),
    call: (c, t) => c.policy.get({ projectId: t.projectId }),
    async allowed(result, _t, version) {
      expect(result).toMatchObject({ version, document: { rules: [expect.objectContaining({ id: "ask" })] } });
    },
  }),
  "policy.versions": spec({
    prepare: (t) => policyWithAsk(t),
    call: (c, t) => c.policy.versions({ projectId: t.projectId, limit: 1 }),
    async allowed(result, _t, version) {
      expect((result as { items: { version: number }[] }).items.map((v) => v.version)).toEqual([version]);
    },
  }),
  "policy.version": spec({
    prepare: (t) => policyWithAsk(t),
    call: (c, t, version) => c.policy.version({ projectId: t.projectId, version }),
    async allowed(result, _t, version) {
      expect(result).toMatchObject({ version, document: { rules: [expect.objectContaining({ id: "ask" })] } });
    },
  }),
  "policy.exportYaml": spec({
    prepare: (t) => policyWithAsk(t),
    call: (c, t) => c.policy.exportYaml({ projectId: t.projectId }),
    async allowed(result, _t, version) {
      const { yaml } = result as { yaml: string };
      expect(yaml).toContain(`version ${version}.`);
      expect(yaml).toContain("id: ask");
    },
  }),
  "policy.onChange": spec({
    async prepare(t) {
      const before = await lastChangeId(t);
      const version = await policyWithAsk(t, unique("changed"));
      return { before, version };
    },
    call: (c, t, p) => c.policy.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "policy", op: "updated", data: { version: p.version } });
    },
  }),
  "policy.save": spec({
    async prepare(t) {
      const version = await policyWithAsk(t);
      return { version, extra: unique("saved") };
    },
    call: (c, t, p) =>
      c.policy.save({
        projectId: t.projectId,
        expectedVersion: p.version,
        document: { rules: [ASK_RULE, { id: p.extra, match: { tools: [p.extra] }, effect: "deny", reason: "r" }] },
      }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ changed: true, policy: { version: p.version + 1 } });
      const row = world.sqlite
        .prepare("select summary from policy_versions where project_id = ? and version = ?")
        .get(t.projectId, p.version + 1);
      expect(row).toEqual({ summary: expect.stringContaining(p.extra) });
    },
  }),
  "policy.importYaml": spec({
    async prepare(t) {
      const version = await policyWithAsk(t);
      const extra = unique("imported");
      const yaml = `rules:\n  - id: ask\n    match: { tools: [Ask] }\n    effect: require_approval\n    reason: Ask a person\n  - id: ${extra}\n    effect: deny\n    reason: r\n`;
      return { version, yaml, extra };
    },
    call: (c, t, p) => c.policy.importYaml({ projectId: t.projectId, yaml: p.yaml, expectedVersion: p.version }),
    async allowed(result, _t, p) {
      expect(result).toMatchObject({ changed: true, policy: { version: p.version + 1 } });
      expect(
        (result as { policy: { document: { rules: { id: string }[] } } }).policy.document.rules.map((r) => r.id),
      ).toEqual(["ask", p.extra]);
    },
  }),
  "approval.list": spec({
    prepare: freshApproval,
    call: (c, t) => c.approval.list({ projectId: t.projectId, status: "pending", limit: 200 }),
    async allowed(result, t, p) {
      const page = result as { items: { id: string; projectId: string }[] };
      expect(page.items.map((a) => a.id)).toContain(p.id);
      expect(page.items.every((a) => a.projectId === t.projectId)).toBe(true);
    },
  }),
  "approval.byId": spec({
    prepare: freshApproval,
    call: (c, t, p) => c.approval.byId({ projectId: t.projectId, id: p.id }),
    async allowed(result, _t, p) {
      expect(result).toMatchObject({ id: p.id, agentId: p.agent.id, status: "pending", tool: "Ask" });
    },
  }),
  "approval.pendingCount": spec({
    prepare: freshApproval,
    call: (c, t) => c.approval.pendingCount({ projectId: t.projectId }),
    async allowed(result, t) {
      const { n } = world.sqlite
        .prepare("select count(*) as n from approvals where project_id = ? and status = 'pending' and expires_at > ?")
        .get(t.projectId, world.deps.clock.now()) as { n: number };
      expect(n).toBeGreaterThan(0);
      expect(result).toEqual({ pending: n });
    },
  }),
  "approval.wait": spec({
    async prepare(t) {
      const approval = await freshApproval(t);
      // Decided already, so the wait yields at once.
      await t.admin.approval.decide({ projectId: t.projectId, id: approval.id, decision: "deny", comment: "no" });
      return approval;
    },
    call: (c, t, p) => c.approval.wait({ projectId: t.projectId, id: p.id }),
    async allowed(result, _t, p) {
      const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ id: p.id, status: "denied", comment: "no" });
      expect(await iterator.next()).toMatchObject({ done: true });
    },
  }),
  "approval.onChange": spec({
    async prepare(t) {
      await policyWithAsk(t);
      const before = await lastChangeId(t);
      return { before, ...(await freshApproval(t)) };
    },
    call: (c, t, p) => c.approval.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "approval", op: "created", data: { id: p.id, status: "pending" } });
    },
  }),
  "approval.decide": spec({
    prepare: freshApproval,
    call: (c, t, p) => c.approval.decide({ projectId: t.projectId, id: p.id, decision: "approve" }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ id: p.id, status: "approved" });
      expect(approvalIn(t, p.id)?.status).toBe("approved");
    },
  }),
  "approval.cancel": spec({
    prepare: freshApproval,
    call: (c, t, p) => c.approval.cancel({ projectId: t.projectId, id: p.id }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ id: p.id, status: "cancelled" });
      expect(approvalIn(t, p.id)?.status).toBe("cancelled");
    },
  }),
  "grant.list": spec({
    prepare: freshGrant,
    call: (c, t, p) => c.grant.list({ projectId: t.projectId, agentId: p.agent.id }),
    async allowed(result, _t, p) {
      expect((result as { items: unknown[] }).items).toEqual([
        expect.objectContaining({ id: p.grantId, agentName: p.agent.name, tool: "Ask" }),
      ]);
    },
  }),
  "grant.onChange": spec({
    async prepare(t) {
      await policyWithAsk(t);
      const before = await lastChangeId(t);
      return { before, ...(await freshGrant(t)) };
    },
    call: (c, t, p) => c.grant.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "grant", op: "created", data: { id: p.grantId } });
    },
  }),
  "grant.revoke": spec({
    prepare: freshGrant,
    call: (c, t, p) => c.grant.revoke({ projectId: t.projectId, id: p.grantId }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ id: p.grantId, revokedAt: expect.any(Number) });
      const row = world.sqlite
        .prepare("select revoked_at from policy_grants where project_id = ? and id = ?")
        .get(t.projectId, p.grantId);
      expect(row).toEqual({ revoked_at: expect.any(Number) });
    },
  }),
  "agent.summary": spec({
    prepare: freshAgent,
    call: (c, t) => c.agent.summary({ projectId: t.projectId }),
    async allowed(result, t) {
      const summary = result as { total: number; byStatus: Record<string, number>; byRole: { role: string }[] };
      const { n } = world.sqlite.prepare("select count(*) as n from agents where project_id = ?").get(t.projectId) as {
        n: number;
      };
      expect(summary.total).toBe(n);
      expect(Object.values(summary.byStatus).reduce((a, b) => a + b, 0)).toBe(n);
      expect(summary.byRole.map((r) => r.role)).toContain("coder");
    },
  }),
  "agent.setEnabled": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.agent.setEnabled({ projectId: t.projectId, id: agent.id, enabled: false }),
    async allowed(result, t, agent) {
      expect(result).toMatchObject({ id: agent.id, status: "disabled" });
      expect(agentIn(t, agent.id)?.status).toBe("disabled");
    },
  }),
  "agent.import": spec({
    prepare: async () => unique("imported"),
    call: (c, t, name) =>
      c.agent.import({
        projectId: t.projectId,
        files: [{ name: "one.yaml", content: `name: ${name}\nrole: coder\n` }],
      }),
    async allowed(result, t, name) {
      expect(result).toMatchObject({ totals: { created: 1, rejected: 0 } });
      const row = world.sqlite.prepare("select * from agents where project_id = ? and name = ?").get(t.projectId, name);
      expect(row).toBeDefined();
    },
  }),
  "session.start": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.session.start({ projectId: t.projectId, name: agent.name }),
    async allowed(result, t, agent) {
      const { session } = result as { session: { id: string; agentId: string } };
      expect(session.agentId).toBe(agent.id);
      expect(sessionIn(t, session.id)?.ended_at).toBeNull();
      expect(agentIn(t, agent.id)?.status).toBe("idle");
    },
  }),
  "session.heartbeat": spec({
    prepare: freshSession,
    call: (c, t, p) => c.session.heartbeat({ projectId: t.projectId, sessionId: p.session.id, status: "busy" }),
    async allowed(result, t, p) {
      expect(result).toEqual({ ok: true, status: "busy" });
      expect(agentIn(t, p.agent.id)?.status).toBe("busy");
    },
  }),
  "session.report": spec({
    prepare: freshSession,
    call: (c, t, p) =>
      c.session.report({ projectId: t.projectId, sessionId: p.session.id, success: true, executionMs: 5 }),
    async allowed(result, t, p) {
      expect(result).toEqual({ ok: true, duplicate: false, overBudget: false });
      expect(sessionIn(t, p.session.id)?.runs).toBe(1);
      expect(agentIn(t, p.agent.id)?.runs_count).toBe(1);
    },
  }),
  "session.end": spec({
    prepare: freshSession,
    call: (c, t, p) => c.session.end({ projectId: t.projectId, sessionId: p.session.id }),
    async allowed(result, t, p) {
      expect(result).toEqual({ ok: true });
      expect(sessionIn(t, p.session.id)?.end_reason).toBe("stopped");
      expect(agentIn(t, p.agent.id)?.status).toBe("offline");
    },
  }),
  "session.list": spec({
    prepare: freshSession,
    call: (c, t, p) => c.session.list({ projectId: t.projectId, agentId: p.agent.id }),
    async allowed(result, _t, p) {
      expect((result as { items: { id: string }[] }).items.map((s) => s.id)).toEqual([p.session.id]);
    },
  }),
  "team.list": spec({
    prepare: freshTeam,
    call: (c, t) => c.team.list({ projectId: t.projectId }),
    async allowed(result, t, team) {
      const teams = result as { id: string; projectId: string }[];
      expect(teams.map((x) => x.id)).toContain(team.id);
      expect(teams.every((x) => x.projectId === t.projectId)).toBe(true);
    },
  }),
  "team.byId": spec({
    prepare: freshTeam,
    call: (c, t, team) => c.team.byId({ projectId: t.projectId, id: team.id }),
    async allowed(result, _t, team) {
      expect(result).toEqual(team);
    },
  }),
  "team.onChange": spec({
    async prepare(t) {
      const before = (await t.admin.agent.list({ projectId: t.projectId, limit: 1 })).lastEventId;
      const team = await freshTeam(t);
      return { before, team };
    },
    call: (c, t, p) => c.team.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ entity: "team", op: "created", data: { id: p.team.id } });
    },
  }),
  "team.create": spec({
    prepare: async () => unique("made-team"),
    call: (c, t, name) => c.team.create({ projectId: t.projectId, name, roleMix: { coder: 2 } }),
    async allowed(result, t, name) {
      const team = result as { id: string };
      expect(result).toMatchObject({ name, projectId: t.projectId, size: 2 });
      expect(teamIn(t, team.id)?.name).toBe(name);
    },
  }),
  "team.update": spec({
    prepare: freshTeam,
    call: (c, t, team) => c.team.update({ projectId: t.projectId, id: team.id, patch: { description: "updated" } }),
    async allowed(result, t, team) {
      expect(result).toMatchObject({ id: team.id, description: "updated" });
      expect(teamIn(t, team.id)?.description).toBe("updated");
    },
  }),
  "team.activate": spec({
    prepare: freshTeamWithCandidate,
    call: (c, t, p) => c.team.activate({ projectId: t.projectId, id: p.team.id }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ team: { active: true }, shortfall: [] });
      expect(agentIn(t, p.agent.id)?.team_id).toBe(p.team.id);
      expect(teamIn(t, p.team.id)?.active).toBe(1);
    },
  }),
  "team.deactivate": spec({
    async prepare(t) {
      const p = await freshTeamWithCandidate(t);
      await t.admin.team.activate({ projectId: t.projectId, id: p.team.id });
      return p;
    },
    call: (c, t, p) => c.team.deactivate({ projectId: t.projectId, id: p.team.id }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ team: { active: false } });
      expect(agentIn(t, p.agent.id)).toMatchObject({ status: "disabled", team_id: p.team.id });
      expect(teamIn(t, p.team.id)?.active).toBe(0);
    },
  }),
  "team.delete": spec({
    prepare: freshTeamWithCandidate,
    call: (c, t, p) => c.team.delete({ projectId: t.projectId, id: p.team.id }),
    async allowed(result, t, p) {
      expect(result).toEqual({ id: p.team.id });
      expect(teamIn(t, p.team.id)).toBeUndefined();
    },
  }),
  "fleet.activateAll": spec({
    async prepare(t) {
      const agent = await freshAgent(t);
      await t.admin.agent.setEnabled({ projectId: t.projectId, id: agent.id, enabled: false });
      return agent;
    },
    call: (c, t) => c.fleet.activateAll({ projectId: t.projectId }),
    async allowed(result, t, agent) {
      expect((result as { changed: number }).changed).toBeGreaterThanOrEqual(1);
      expect(agentIn(t, agent.id)?.status).toBe("offline");
    },
  }),
  "fleet.deactivateAll": spec({
    prepare: freshAgent,
    call: (c, t) => c.fleet.deactivateAll({ projectId: t.projectId, confirm: t.projectName }),
    async allowed(result, t, agent) {
      expect((result as { changed: number }).changed).toBeGreaterThanOrEqual(1);
      expect(agentIn(t, agent.id)?.status).toBe("disabled");
      const { n } = world.sqlite
        .prepare("select count(*) as n from agents where project_id = ? and status != 'disabled'")
        .get(t.projectId) as { n: number };
      expect(n).toBe(0);
    },
  }),
  "agent.list": spec({
    prepare: freshAgent,
    call: (c, t) => c.agent.list({ projectId: t.projectId, limit: 200 }),
    async allowed(result, t, agent) {
      const page = result as { items: { id: string; projectId: string }[] };
      expect(page.items.map((a) => a.id)).toContain(agent.id);
      expect(page.items.every((a) => a.projectId === t.projectId)).toBe(true);
    },
  }),
  "agent.byId": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.agent.byId({ projectId: t.projectId, id: agent.id }),
    async allowed(result, _t, agent) {
      expect(result).toEqual(agent);
    },
  }),
  "agent.byName": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.agent.byName({ projectId: t.projectId, name: agent.name }),
    async allowed(result, _t, agent) {
      expect(result).toEqual(agent);
    },
  }),
  "agent.onChange": spec({
    async prepare(t) {
      const before = (await t.admin.agent.list({ projectId: t.projectId, limit: 1 })).lastEventId;
      const agent = await freshAgent(t);
      return { before, agent };
    },
    call: (c, t, p) => c.agent.onChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ op: "created", data: { id: p.agent.id } });
    },
  }),
  "agent.create": spec({
    prepare: async () => unique("created"),
    call: (c, t, name) => c.agent.create({ projectId: t.projectId, name, role: "coder" }),
    async allowed(result, t, name) {
      expect(result).toMatchObject({ name, projectId: t.projectId });
      expect(agentIn(t, (result as { id: string }).id)?.name).toBe(name);
    },
  }),
  "agent.register": spec({
    prepare: freshAgent,
    call: (c, t, agent) =>
      c.agent.register({ projectId: t.projectId, name: agent.name, role: "coder", description: "registered" }),
    async allowed(result, t, agent) {
      expect(result).toMatchObject({ id: agent.id, description: "registered" });
      expect(agentIn(t, agent.id)?.description).toBe("registered");
    },
  }),
  "agent.update": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.agent.update({ projectId: t.projectId, id: agent.id, patch: { description: "updated" } }),
    async allowed(result, t, agent) {
      expect(result).toMatchObject({ id: agent.id, description: "updated" });
      expect(agentIn(t, agent.id)?.description).toBe("updated");
    },
  }),
  "agent.delete": spec({
    prepare: freshAgent,
    call: (c, t, agent) => c.agent.delete({ projectId: t.projectId, id: agent.id }),
    async allowed(result, t, agent) {
      expect(result).toEqual({ id: agent.id });
      expect(agentIn(t, agent.id)).toBeUndefined();
    },
  }),
  "apiKey.list": spec({
    prepare: (t) => t.admin.apiKey.create({ projectId: t.projectId, name: unique("listed") }),
    call: (c, t) => c.apiKey.list({ projectId: t.projectId }),
    async allowed(result, _t, key) {
      const list = result as { id: string }[];
      expect(list.map((k) => k.id)).toContain(key.id);
      expect(JSON.stringify(list)).not.toContain(key.secret);
    },
  }),
  "apiKey.create": spec({
    prepare: async () => unique("made"),
    call: (c, t, name) => c.apiKey.create({ projectId: t.projectId, name, scopes: ["read"] }),
    async allowed(result, t) {
      const key = result as { secret: string };
      expect(await callerFor(world.deps, { apiKey: key.secret }).apiKey.whoami()).toEqual({
        projectId: t.projectId,
        scopes: ["read"],
        agentNames: null,
      });
    },
  }),
  "apiKey.revoke": spec({
    prepare: (t) => t.admin.apiKey.create({ projectId: t.projectId, name: unique("victim") }),
    call: (c, t, key) => c.apiKey.revoke({ projectId: t.projectId, id: key.id }),
    async allowed(result, _t, key) {
      expect(result).toEqual({ ok: true });
      await expectTRPCError(callerFor(world.deps, { apiKey: key.secret }).apiKey.whoami(), "UNAUTHORIZED");
    },
  }),
  "invite.list": spec({
    prepare: (t) => t.admin.invite.create({ projectId: t.projectId, role: "viewer" }),
    call: (c, t) => c.invite.list({ projectId: t.projectId }),
    async allowed(result, _t, invite) {
      const list = result as { id: string }[];
      expect(list.map((i) => i.id)).toContain(invite.id);
      expect(JSON.stringify(list)).not.toContain(invite.token);
    },
  }),
  "invite.create": spec({
    prepare: async () => undefined,
    call: (c, t) => c.invite.create({ projectId: t.projectId, role: "viewer" }),
    async allowed(result, t) {
      const { token } = result as { token: string };
      expect(await callerFor(world.deps).invite.preview({ token })).toEqual({
        projectName: t.projectName,
        role: "viewer",
      });
    },
  }),
  "invite.revoke": spec({
    prepare: (t) => t.admin.invite.create({ projectId: t.projectId, role: "viewer" }),
    call: (c, t, invite) => c.invite.revoke({ projectId: t.projectId, id: invite.id }),
    async allowed(result, _t, invite) {
      expect(result).toEqual({ ok: true });
      await expectTRPCError(callerFor(world.deps).invite.preview({ token: invite.token }), "NOT_FOUND");
    },
  }),
  "ingest.report": spec({
    prepare: async (t) => ({ agent: await freshAgent(t), id: unique("report-id-0000") }),
    call: (c, t, p) =>
      c.ingest.report({
        projectId: t.projectId,
        items: [{ kind: "event", id: p.id, agent: p.agent.name, operation: "tool_use", target: "x" }],
      }),
    async allowed(result, t, p) {
      expect(result).toMatchObject({ stored: 1 });
      const row = world.sqlite
        .prepare("select actor_name from audit_events where project_id = ? and client_id = ?")
        .get(t.projectId, p.id);
      expect(row).toEqual({ actor_name: p.agent.name });
    },
  }),
  "metrics.list": spec({
    prepare: async (t) => {
      const agent = await freshAgent(t);
      const id = unique("metric-id-0000");
      await t.admin.ingest.report({
        projectId: t.projectId,
        items: [{ kind: "metric", id, agent: agent.name, type: "cost", costUsd: 0.5 }],
      });
      return agent;
    },
    call: (c, t, agent) => c.metrics.list({ projectId: t.projectId, agentId: agent.id }),
    async allowed(result, _t, agent) {
      const page = result as { items: { agentId: string; costUsd: number }[] };
      expect(page.items).toEqual([expect.objectContaining({ agentId: agent.id, costUsd: 0.5 })]);
    },
  }),
  "metrics.aggregate": spec({
    prepare: async () => undefined,
    call: (c, t) => {
      const now = world.deps.clock.now();
      return c.metrics.aggregate({ projectId: t.projectId, bucket: "hour", from: now - 86_400_000, to: now + 1 });
    },
    async allowed(result) {
      expect(Array.isArray(result)).toBe(true);
    },
  }),
  "metrics.overview": spec({
    prepare: async () => undefined,
    call: (c, t) => c.metrics.overview({ projectId: t.projectId }),
    async allowed(result, t) {
      const { n } = world.sqlite.prepare("select count(*) as n from agents where project_id = ?").get(t.projectId) as {
        n: number;
      };
      expect(result).toMatchObject({ totalAgents: n });
    },
  }),
  "metrics.budgetUsage": spec({
    prepare: async () => undefined,
    call: (c, t) => c.metrics.budgetUsage({ projectId: t.projectId }),
    async allowed(result) {
      expect(Array.isArray(result)).toBe(true);
    },
  }),
  "metrics.alerts": spec({
    prepare: async () => undefined,
    call: (c, t) => c.metrics.alerts({ projectId: t.projectId }),
    async allowed(result) {
      expect(Array.isArray(result)).toBe(true);
    },
  }),
  "metrics.onAlert": spec({
    async prepare(t) {
      const before = (await t.admin.agent.list({ projectId: t.projectId, limit: 1 })).lastEventId;
      const agent = await freshAgent(t);
      await t.admin.agent.update({ projectId: t.projectId, id: agent.id, patch: { budgetCostUsdPerDay: 1 } });
      await t.admin.ingest.report({
        projectId: t.projectId,
        items: [{ kind: "metric", id: unique("alert-id-0000"), agent: agent.name, type: "cost", costUsd: 2 }],
      });
      return { before, agent };
    },
    call: (c, t, p) => c.metrics.onAlert({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      expect(first.data).toMatchObject({ agentId: p.agent.id, threshold: 80 });
    },
  }),
  "metrics.prices": spec({
    prepare: async () => undefined,
    call: (c, t) => c.metrics.prices({ projectId: t.projectId }),
    async allowed(result) {
      expect(result).toContainEqual(expect.objectContaining({ model: "gpt-4o", source: "default" }));
    },
  }),
  "metrics.setPrice": spec({
    prepare: async () => unique("model"),
    call: (c, t, model) => c.metrics.setPrice({ projectId: t.projectId, model, inputPerMTok: 1, outputPerMTok: 2 }),
    async allowed(_result, t, model) {
      const row = world.sqlite
        .prepare("select * from model_prices where project_id = ? and model = ?")
        .get(t.projectId, model);
      expect(row).toMatchObject({ input_per_mtok: 1, output_per_mtok: 2 });
    },
  }),
  "metrics.resetPrice": spec({
    async prepare(t) {
      const model = unique("model");
      await t.admin.metrics.setPrice({ projectId: t.projectId, model, inputPerMTok: 1, outputPerMTok: 1 });
      return model;
    },
    call: (c, t, model) => c.metrics.resetPrice({ projectId: t.projectId, model }),
    async allowed(_result, t, model) {
      const row = world.sqlite
        .prepare("select * from model_prices where project_id = ? and model = ?")
        .get(t.projectId, model);
      expect(row).toBeUndefined();
    },
  }),
  "audit.list": spec({
    prepare: freshAgent,
    call: (c, t) => c.audit.list({ projectId: t.projectId, operation: "agent.create", limit: 1 }),
    async allowed(result, _t, agent) {
      expect((result as { items: { target: string }[] }).items[0]?.target).toBe(agent.name);
    },
  }),
  "audit.get": spec({
    async prepare(t) {
      const agent = await freshAgent(t);
      const row = world.sqlite
        .prepare("select max(id) as id from audit_events where project_id = ?")
        .get(t.projectId) as { id: number };
      return { id: row.id, agent };
    },
    call: (c, t, p) => c.audit.get({ projectId: t.projectId, id: p.id }),
    async allowed(result, _t, p) {
      expect(result).toMatchObject({ id: p.id, operation: "agent.create", target: p.agent.name });
      expect((result as { hash: string }).hash).toMatch(/^[0-9a-f]{64}$/);
    },
  }),
  "audit.stats": spec({
    prepare: freshAgent,
    call: (c, t) => {
      const now = world.deps.clock.now();
      return c.audit.stats({ projectId: t.projectId, from: now - 86_400_000, to: now + 1 });
    },
    async allowed(result) {
      expect((result as { byOperation: { operation: string }[] }).byOperation.map((o) => o.operation)).toContain(
        "agent.create",
      );
    },
  }),
  "audit.verify": spec({
    prepare: freshAgent,
    call: (c, t) => c.audit.verify({ projectId: t.projectId }),
    async allowed(result) {
      expect(result).toMatchObject({ intact: true });
    },
  }),
  "audit.heads": spec({
    prepare: async () => undefined,
    call: (c, t) => c.audit.heads({ projectId: t.projectId }),
    async allowed(result) {
      expect(result).toMatchObject({
        publicKey: expect.stringMatching(/PUBLIC KEY/),
        keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
    },
  }),
  "audit.export": spec({
    async prepare(t) {
      const last = world.sqlite
        .prepare("select max(id) as id from audit_events where project_id = ?")
        .get(t.projectId) as { id: number };
      return { last: last.id, agent: await freshAgent(t) };
    },
    call: (c, t, p) => c.audit.export({ projectId: t.projectId, after: p.last }),
    async allowed(result, _t, p) {
      const { rows } = result as { rows: { operation: string; target: string; hash: string }[] };
      expect(rows[0]).toMatchObject({
        operation: "agent.create",
        target: p.agent.name,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    },
  }),
  "audit.onAppend": spec({
    async prepare(t) {
      const last = world.sqlite
        .prepare("select max(id) as id from audit_events where project_id = ?")
        .get(t.projectId) as { id: number };
      const agent = await freshAgent(t);
      return { last: String(last.id), agent };
    },
    call: (c, t, p) => c.audit.onAppend({ projectId: t.projectId, lastEventId: p.last }),
    async allowed(result, _t, p) {
      const first = await reader<SharedJson<AuditEvent[]>>(result as AsyncIterable<unknown>).next();
      expect(first.data.value[0]).toMatchObject({ operation: "agent.create", target: p.agent.name });
    },
  }),
  "member.remove": spec({
    prepare: freshMember,
    call: (c, t, m) => c.member.remove({ projectId: t.projectId, userId: m.userId }),
    async allowed(result, t, m) {
      expect(result).toEqual({ ok: true });
      expect(membershipIn(t, m.userId)).toBeUndefined();
    },
  }),
  "member.setRole": spec({
    prepare: freshMember,
    call: (c, t, m) => c.member.setRole({ projectId: t.projectId, userId: m.userId, role: "operator" }),
    async allowed(_result, t, m) {
      expect(membershipIn(t, m.userId)).toEqual({ role: "operator" });
    },
  }),
  "member.revokeSessions": spec({
    prepare: freshMember,
    call: (c, t, m) => c.member.revokeSessions({ projectId: t.projectId, userId: m.userId }),
    async allowed(result, _t, m) {
      expect(result).toMatchObject({ sessionsEnded: 1 });
      await expectTRPCError(callerFor(world.deps, { sessionToken: m.token }).auth.sessions(), "UNAUTHORIZED");
    },
  }),
  "member.createResetLink": spec({
    prepare: freshMember,
    call: (c, t, m) => c.member.createResetLink({ projectId: t.projectId, userId: m.userId }),
    async allowed(result) {
      expect(result).toMatchObject({ token: expect.any(String) });
    },
  }),
  "project.settings": spec({
    prepare: async () => undefined,
    call: (c, t) => c.project.settings({ projectId: t.projectId }),
    async allowed(result) {
      expect(result).toEqual({ agentSelfRegistration: true });
    },
  }),
  "project.onPeopleChange": spec({
    async prepare(t) {
      const before = await lastChangeId(t);
      const invite = await t.admin.invite.create({ projectId: t.projectId, role: "viewer" });
      return { before, invite };
    },
    call: (c, t, p) => c.project.onPeopleChange({ projectId: t.projectId, lastEventId: p.before }),
    async allowed(result, _t, p) {
      const first = await reader(result as AsyncIterable<unknown>).next();
      // Which list and which item changed, nothing more (no token, no email).
      expect(first.data).toMatchObject({ entity: "people", op: "updated", data: { id: p.invite.id, list: "invites" } });
      expect(JSON.stringify(first.data)).not.toContain(p.invite.token);
    },
  }),
  "project.updateSettings": spec({
    prepare: async () => undefined,
    // Sets what is already there, so the shared world keeps letting agents register.
    call: (c, t) => c.project.updateSettings({ projectId: t.projectId, agentSelfRegistration: true }),
    async allowed(result, t) {
      expect(result).toEqual({ agentSelfRegistration: true });
      const row = world.sqlite
        .prepare(
          "select actor_name from audit_events where project_id = ? and operation = 'project.settings' order by id desc",
        )
        .get(t.projectId);
      expect(row).toBeDefined();
    },
  }),
  "project.members": spec({
    prepare: async () => undefined,
    call: (c, t) => c.project.members({ projectId: t.projectId }),
    async allowed(result, t) {
      const members = result as { email: string | null; role: string }[];
      // Emails are for owners and admins (and admin keys); everyone else sees null.
      const owner = members.find((m) => m.role === "owner");
      expect([t.ownerEmail, null]).toContain(owner?.email);
      expect(members.every((m) => !("passwordHash" in m))).toBe(true);
    },
  }),
};

const cases = (["own", "foreign"] as const).flatMap((targetName) =>
  (Object.keys(OWN_PROJECT) as ProcedureName[]).flatMap((procedure) =>
    CALLERS.map((caller, column) => {
      const table = targetName === "own" ? OWN_PROJECT : FOREIGN_PROJECT;
      const expected = table[procedure][column]!;
      return {
        name: `${procedure} by ${caller} in ${targetName} project → ${expected}`,
        procedure,
        caller,
        targetName,
        expected,
      };
    }),
  ),
);

describe("access matrix", () => {
  it("covers every procedure × caller × target", () => {
    expect(cases).toHaveLength(Object.keys(SPECS).length * CALLERS.length * 2);
  });

  it("lists every project-scoped procedure of the app router", () => {
    // A procedure that takes a projectId is project-scoped: each must have its row above.
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>;
    const scoped = Object.entries(procedures)
      .filter(([, procedure]) =>
        procedure._def.inputs.some((input) => {
          const shape = (input as { shape?: Record<string, unknown> } | null)?.shape;
          return shape !== undefined && "projectId" in shape;
        }),
      )
      .map(([name]) => name)
      .sort();
    expect(scoped.length).toBeGreaterThan(50);
    expect(Object.keys(OWN_PROJECT).sort()).toEqual(scoped);
  });

  it.each(cases)("$name", async ({ procedure, caller: callerName, targetName, expected }) => {
    const t = target(targetName);
    const s = SPECS[procedure];
    const controller = new AbortController();
    controllers.push(controller);
    // Made first: resolving an API key may stamp its lastUsedAt, which is not what is under test.
    const caller = callerWithSignal(world.deps, credentialsOf(callerName), controller.signal);
    const prepared = await s.prepare(t);
    if (expected === "ok") {
      await s.allowed(await s.call(caller, t, prepared), t, prepared);
    } else if (expected === "REFUSED") {
      const before = snapshot(t.projectId);
      expect(await s.call(caller, t, prepared)).toMatchObject({ stored: 0, rejected: 1 });
      expect(snapshot(t.projectId)).toEqual(before);
    } else {
      const before = snapshot(t.projectId);
      const other = snapshot(targetName === "own" ? world.foreignProjectId : world.projectId);
      await expectTRPCError(s.call(caller, t, prepared), expected);
      expect(snapshot(t.projectId)).toEqual(before);
      expect(snapshot(targetName === "own" ? world.foreignProjectId : world.projectId)).toEqual(other);
    }
  });
});

describe("access edge cases", () => {
  it("an agent key checks, reads, waits on and cancels its own agent's approvals, but never decides them", async () => {
    const own = target("own");
    await policyWithAsk(own);
    // The kill switch above may have disabled it.
    await own.admin.agent.setEnabled({ projectId: own.projectId, id: world.homeAgent.id, enabled: true });
    const key = callerFor(world.deps, { apiKey: world.keys.agent.secret });
    const asked = await key.policy.check({ agent: "home-agent", tool: "Ask", input: { n: unique("own") } });
    expect(asked).toMatchObject({ decision: "requires_approval", approvalId: expect.any(String) });
    const id = asked.approvalId!;
    expect(await key.approval.byId({ id })).toMatchObject({ id, agentName: "home-agent", status: "pending" });
    await expectTRPCError(key.approval.decide({ id, decision: "approve" }), "FORBIDDEN");
    await expectTRPCError(key.approval.list({}), "FORBIDDEN");
    const controller = new AbortController();
    controllers.push(controller);
    const waiting = (
      await callerWithSignal(world.deps, { apiKey: world.keys.agent.secret }, controller.signal).approval.wait({ id })
    )[Symbol.asyncIterator]();
    const outcome = waiting.next();
    expect(await key.approval.cancel({ id })).toMatchObject({ id, status: "cancelled" });
    expect((await outcome).value).toMatchObject({ id, status: "cancelled" });
  });

  it("an API key may leave out projectId; a user may not", async () => {
    const key = callerFor(world.deps, { apiKey: world.keys.read.secret });
    expect((await key.project.members({})).length).toBeGreaterThan(0);
    await expectTRPCError(world.users.owner.caller.project.members({}), "BAD_REQUEST");
  });

  it("an API key reaches admin only with the admin scope an owner gave it", async () => {
    const both = await world.users.owner.caller.apiKey.create({
      projectId: world.projectId,
      name: unique("both"),
      scopes: ["read", "manage"],
    });
    const caller = callerFor(world.deps, { apiKey: both.secret });
    await expectTRPCError(caller.apiKey.list({}), "FORBIDDEN");
    await expectTRPCError(caller.invite.create({}), "FORBIDDEN");
    await expectTRPCError(caller.agent.delete({ id: world.homeAgent.id }), "FORBIDDEN");
    expect(await caller.agent.byId({ id: world.homeAgent.id })).toMatchObject({ id: world.homeAgent.id });
    const admin = callerFor(world.deps, { apiKey: world.keys.admin.secret });
    expect((await admin.apiKey.list({})).length).toBeGreaterThan(0);
  });

  it("an agent key is not also a manage or admin key: its binding to its agents would not hold", async () => {
    const before = world.sqlite.prepare("select count(*) from api_keys").pluck().get();
    for (const scope of ["manage", "admin"] as const) {
      await expectTRPCError(
        world.users.owner.caller.apiKey.create({
          projectId: world.projectId,
          name: unique("mixed"),
          scopes: ["agent", scope],
          agentNames: ["home-agent"],
        }),
        "BAD_REQUEST",
        /An agent key acts as its named agents only, and manage or admin would let it act for any/,
      );
    }
    expect(world.sqlite.prepare("select count(*) from api_keys").pluck().get()).toBe(before);
  });

  it("a call that names an API key is the key's: a valid one wins over a session, a revoked one is refused", async () => {
    const both = callerFor(world.deps, { apiKey: world.keys.read.secret, sessionToken: world.users.owner.token });
    await expectTRPCError(both.agent.delete({ projectId: world.projectId, id: world.homeAgent.id }), "FORBIDDEN");
    const revoked = callerFor(world.deps, {
      apiKey: world.keys.revoked.secret,
      sessionToken: world.users.owner.token,
    });
    await expectTRPCError(revoked.agent.list({ projectId: world.projectId }), "UNAUTHORIZED", /revoked/);
    await expectTRPCError(
      revoked.agent.create({ projectId: world.projectId, name: unique("x"), role: "r" }),
      "UNAUTHORIZED",
    );
  });

  it("push devices are people's own: API keys never reach them, and no one reaches another person's", async () => {
    const browser = () => {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      return {
        endpoint: `https://fcm.googleapis.com/${randomBytes(12).toString("base64url")}`,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") },
      };
    };
    const people = ["owner", "admin", "operator", "viewer", "otherProjectMember"] as const;
    const devices = new Map<string, string>();
    for (const name of people) {
      const device = await callerFor(world.deps, credentialsOf(name)).push.subscribe(browser());
      devices.set(name, device.id);
    }
    for (const name of people) {
      const caller = callerFor(world.deps, credentialsOf(name));
      expect((await caller.push.list()).items.map((device) => device.id)).toEqual([devices.get(name)]);
      for (const other of people.filter((person) => person !== name)) {
        const id = devices.get(other)!;
        await expectTRPCError(caller.push.update({ id, preferences: { approvals: false } }), "NOT_FOUND");
        await expectTRPCError(caller.push.remove({ id }), "NOT_FOUND");
        await expectTRPCError(caller.push.test({ id }), "NOT_FOUND");
      }
    }
    const keys = ["keyAdmin", "keyManage", "keyRead", "keyAgent", "anonymous", "revokedKey"] as const;
    for (const name of keys) {
      const caller = callerFor(world.deps, credentialsOf(name));
      const id = devices.get("owner")!;
      await expectTRPCError(caller.push.config(), "UNAUTHORIZED");
      await expectTRPCError(caller.push.list(), "UNAUTHORIZED");
      await expectTRPCError(caller.push.subscribe(browser()), "UNAUTHORIZED");
      await expectTRPCError(caller.push.update({ id, deviceLabel: "taken" }), "UNAUTHORIZED");
      await expectTRPCError(caller.push.remove({ id }), "UNAUTHORIZED");
      await expectTRPCError(caller.push.test({ id }), "UNAUTHORIZED");
    }
    // A valid key beside a session is the key's call: still refused.
    const both = callerFor(world.deps, { apiKey: world.keys.admin.secret, sessionToken: world.users.owner.token });
    await expectTRPCError(both.push.list(), "UNAUTHORIZED");
    const count = world.sqlite.prepare("select count(*) from push_subscriptions").pluck().get();
    expect(count).toBe(people.length);
  });
});
