import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDeps } from "@tower/api";
import { callerFor, TEST_SETUP_CODE } from "@tower/api/testing";
import { parseTrustedProxies } from "@tower/shared/node";
import { createDb, WriteGate } from "@tower/db";
import pino, { type Logger } from "pino";
import { createTowerServer } from "../src/server";

/**
 * The real server on a real SQLite file on a loopback port, plus an owner and an API key. Pass a
 * `logger` to see what the server logs, `trustedProxies` (e.g. `["loopback"]`) to have the test's
 * own requests count as a proxy's.
 */
export async function startTestServer({
  logger = pino({ level: "silent" }),
  trustedProxies = [],
  connectionParamsGraceMs,
}: { logger?: Logger; trustedProxies?: string[]; connectionParamsGraceMs?: number } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-transport-"));
  const file = path.join(dir, "tower.sqlite");
  const auditKeyPath = path.join(dir, "audit-signing-key.pem");
  const auditHeadsPath = path.join(dir, "audit-heads.jsonl");
  const writeGate = new WriteGate();
  const database = createDb(file, { writesFirst: writeGate });
  // As in the server: reports are stored by a writer thread on its own connection, the chain is read
  // on its own thread, heads signed with a key in the folder.
  const deps = await createDeps({
    db: database.db,
    file,
    logger,
    writeGate,
    execArgv: [],
    setupCode: TEST_SETUP_CODE,
    auditAnchor: { keyPath: auditKeyPath, headsPath: auditHeadsPath },
  });
  const options = {
    allowedOrigins: ["http://dashboard.test"],
    secureCookies: "auto",
    trustedProxies: parseTrustedProxies(trustedProxies),
    connectionParamsGraceMs,
  } as const;
  let server = createTowerServer(deps, options);
  const address = await server.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${address.port}`;

  const anonymous = callerFor(deps);
  await anonymous.auth.signUp({
    email: "owner@example.com",
    name: "Owner",
    password: "correct horse battery",
    setupCode: TEST_SETUP_CODE,
  });
  const owner = callerFor(deps, { sessionToken: anonymous.cookies.token });
  const [membership] = await owner.project.list();
  if (!membership) throw new Error("first user has no project");
  const key = await owner.apiKey.create({
    projectId: membership.projectId,
    name: "transport test",
    scopes: ["manage"],
  });

  return {
    url,
    port: address.port,
    /** The data folder: the database file, the audit signing key and signed heads. */
    files: { dir, database: file, auditKey: auditKeyPath, auditHeads: auditHeadsPath },
    deps,
    owner,
    projectId: membership.projectId,
    apiKey: key.secret,
    get server() {
      return server;
    },
    /** Takes the server off the network (the database stays), as in an outage. */
    async pause() {
      await server.close();
    },
    /** Brings a new server up on the same port and database. */
    async resume() {
      server = createTowerServer(deps, options);
      await server.listen(address.port, "127.0.0.1");
    },
    async stop() {
      await server.close();
      await deps.ingestWriter.close();
      await deps.audit.reader.close();
      deps.audit.anchor.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** Resolves once `predicate` holds, polling briefly; fails with `what` after the timeout. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A pino logger that keeps every line it writes, parsed, for a test to read. */
export function recordingLogger() {
  const lines: { level: number; msg: string; err?: { message?: string } }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines, at: (level: "warn" | "error") => lines.filter((l) => l.level === pino.levels.values[level]) };
}
