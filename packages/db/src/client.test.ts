import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client";
import { agents, projects } from "./schema";
import { createTestDb } from "./test-db";

const handles: DbHandle[] = [];
const dirs: string[] = [];
afterEach(() => {
  handles.splice(0).forEach((handle) => handle.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function open(file: string) {
  const handle = createDb(file);
  handles.push(handle);
  return handle;
}

const agentRow = (id: string, projectId: string, name: string) => ({
  id,
  projectId,
  name,
  role: "coder",
  createdAt: 1,
  updatedAt: 1,
});

describe("createDb", () => {
  it("opens a file in WAL mode with foreign keys, a busy timeout and temporary tables in memory, migrated", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-db-"));
    dirs.push(dir);
    const { sqlite } = open(path.join(dir, "t.sqlite"));
    expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(sqlite.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(sqlite.pragma("temp_store", { simple: true })).toBe(2); // MEMORY
    const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").pluck().all();
    expect(tables).toEqual(
      expect.arrayContaining([
        "users",
        "sessions",
        "projects",
        "memberships",
        "invites",
        "api_keys",
        "agents",
        "changes",
      ]),
    );
  });

  it("applies migrations once: reopening an existing file keeps its data", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-db-"));
    dirs.push(dir);
    const file = path.join(dir, "t.sqlite");
    const first = open(file);
    first.db.insert(projects).values({ id: "p1", name: "P", createdAt: 1 }).run();
    first.close();
    const second = open(file);
    expect(second.db.select().from(projects).all()).toHaveLength(1);
  });

  it("creates the file, its -wal and its -shm readable by their owner only (0600)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-db-"));
    dirs.push(dir);
    const file = path.join(dir, "t.sqlite");
    const previous = process.umask(0o022); // the usual umask, under which SQLite's default is 0644
    try {
      const { db } = open(file);
      db.insert(projects).values({ id: "p1", name: "P", createdAt: 1 }).run();
    } finally {
      process.umask(previous);
    }
    for (const name of [file, `${file}-wal`, `${file}-shm`]) {
      expect({ name: path.basename(name), mode: statSync(name).mode & 0o777 }).toEqual({
        name: path.basename(name),
        mode: 0o600,
      });
    }
  });
});

describe("schema constraints", () => {
  it("keeps agent names unique per project but not across projects", () => {
    const { db } = createTestDb();
    db.insert(projects)
      .values([
        { id: "p1", name: "A", createdAt: 1 },
        { id: "p2", name: "B", createdAt: 1 },
      ])
      .run();
    db.insert(agents)
      .values(agentRow("a1", "p1", "scout"))
      .run();
    expect(() =>
      db
        .insert(agents)
        .values(agentRow("a2", "p1", "scout"))
        .run(),
    ).toThrow(/UNIQUE/);
    expect(() =>
      db
        .insert(agents)
        .values(agentRow("a3", "p2", "scout"))
        .run(),
    ).not.toThrow();
  });

  it("refuses an agent in a project that does not exist", () => {
    const { db } = createTestDb();
    expect(() =>
      db
        .insert(agents)
        .values(agentRow("a1", "missing", "scout"))
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });
});

describe("a reader outside the server", () => {
  /** The POSIX locks this process holds on `file` (Linux lists them in /proc/locks). */
  const locksOn = (file: string) => {
    const inode = `:${statSync(file).ino} `;
    return readFileSync("/proc/locks", "utf8")
      .split("\n")
      .filter((line) => line.includes(` ${process.pid} `) && line.includes(inode)).length;
  };

  it.runIf(process.platform === "linux")(
    "cannot delete the live WAL: the server keeps its lock on the file however many connections it opens",
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "tower-db-"));
      dirs.push(dir);
      const file = path.join(dir, "tower.sqlite");
      const server = open(file);
      expect(locksOn(file)).toBeGreaterThan(0);
      open(file); // the ingest writer thread's connection
      server.sqlite.exec("create table probe (x)");
      server.sqlite.prepare("insert into probe values (1)").run();
      // Closing any descriptor of the file dropped them all; an outside reader closing last
      // (`sqlite3 tower.sqlite "select …"`) then checkpointed and deleted the server's WAL.
      expect(locksOn(file), "the process lost its locks on the database file").toBeGreaterThan(0);
      if (hasSqliteCli()) {
        execFileSync("sqlite3", [file, "select count(*) from probe"]);
        expect(existsSync(`${file}-wal`), "the reader deleted the server's WAL").toBe(true);
      }
    },
  );
});

function hasSqliteCli() {
  try {
    execFileSync("sqlite3", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
