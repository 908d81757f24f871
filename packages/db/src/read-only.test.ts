import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client";
import { openReadOnlyDb } from "./read-only";

let dir: string;
let writer: DbHandle;
let reader: DbHandle;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-read-only-"));
  writer = createDb(path.join(dir, "tower.sqlite"));
  reader = openReadOnlyDb(path.join(dir, "tower.sqlite"));
});
afterEach(() => {
  reader.close();
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a read-only connection", () => {
  it("sees what the other connection committed, and can write nothing", () => {
    writer.sqlite.prepare("insert into projects (id, name, created_at) values ('p1', 'One', 1)").run();
    expect(reader.sqlite.prepare("select name from projects").pluck().all()).toEqual(["One"]);
    expect(() => reader.sqlite.prepare("delete from projects").run()).toThrow(/readonly/);
  });

  it("needs the file to exist: it never creates (or migrates) a database", () => {
    expect(() => openReadOnlyDb(path.join(dir, "missing.sqlite"))).toThrow();
  });
});
