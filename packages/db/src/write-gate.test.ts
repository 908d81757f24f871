import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client";
import { WriteGate } from "./write-gate";

let dir: string;
let handle: DbHandle;
afterEach(() => {
  handle.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A connection whose writes go first, and a SQL function that tells whether its gate is raised. */
function openGated() {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-gate-"));
  const gate = new WriteGate();
  handle = createDb(path.join(dir, "tower.sqlite"), { writesFirst: gate });
  const raised = new Int32Array(gate.buffer);
  handle.sqlite.function("gate_raised", () => Atomics.load(raised, 0));
  handle.sqlite.exec("create table probe (raised integer)");
  return { sqlite: handle.sqlite, db: handle.db, raised };
}

describe("the write gate of the server's connection", () => {
  it("is raised for every write, in a transaction or on its own, and for reads not at all", () => {
    const { sqlite, db, raised } = openGated();
    sqlite.prepare("insert into probe values (gate_raised())").run();
    db.transaction(() => sqlite.prepare("insert into probe values (gate_raised())").run());
    const returned = sqlite.prepare("insert into probe values (gate_raised()) returning raised").get();
    expect(returned).toEqual({ raised: 1 });
    expect(sqlite.prepare("select raised from probe").pluck().all()).toEqual([1, 1, 1]);
    expect(sqlite.prepare("select gate_raised()").pluck().get()).toBe(0);
    expect(Atomics.load(raised, 0)).toBe(0); // lowered again after each write
  });

  it("is lowered again when a write fails", () => {
    const { sqlite, db, raised } = openGated();
    sqlite.exec("create table once (k integer unique)");
    const insert = sqlite.prepare("insert into once values (1)");
    insert.run();
    expect(() => insert.run()).toThrow(/UNIQUE/);
    expect(() =>
      db.transaction(() => {
        throw new Error("rolled back");
      }),
    ).toThrow(/rolled back/);
    expect(Atomics.load(raised, 0)).toBe(0);
  });
});
