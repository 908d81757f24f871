import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { hookPrepare } from "./driver-hooks";

const dbs: Database.Database[] = [];
afterEach(() => dbs.splice(0).forEach((db) => db.close()));

function open(max?: number) {
  const db = new Database(":memory:");
  dbs.push(db);
  hookPrepare(db, { maxStatements: max });
  db.exec("create table t (id integer primary key, name text); insert into t (name) values ('a'), ('b'), ('c');");
  return db;
}

describe("statement cache", () => {
  it("hands out the same compiled statement for the same text", () => {
    const db = open();
    const sql = "select name from t where id = ?";
    expect(db.prepare(sql)).toBe(db.prepare(sql));
    expect(db.prepare(sql).get(2)).toEqual({ name: "b" });
  });

  it("resets a reused statement to plain rows whatever the last caller toggled", () => {
    const db = open();
    const sql = "select id, name from t order by id";
    expect(db.prepare(sql).pluck().all()).toEqual([1, 2, 3]);
    expect(db.prepare(sql).raw().get()).toEqual([1, "a"]);
    expect(db.prepare(sql).all()).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
      { id: 3, name: "c" },
    ]);
  });

  it("never shares a statement that is still iterating", () => {
    const db = open();
    const sql = "select name from t order by id";
    const outer: string[] = [];
    const inner: string[][] = [];
    for (const row of db.prepare(sql).iterate() as Iterable<{ name: string }>) {
      outer.push(row.name);
      inner.push((db.prepare(sql).all() as { name: string }[]).map((r) => r.name));
    }
    expect(outer).toEqual(["a", "b", "c"]);
    expect(inner).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
      ["a", "b", "c"],
    ]);
  });

  it("keeps at most `max` statements, dropping the least recently used", () => {
    const db = open(2);
    const a = db.prepare("select 1");
    const b = db.prepare("select 2");
    expect(db.prepare("select 1")).toBe(a); // "select 2" is now the oldest
    db.prepare("select 3");
    expect(db.prepare("select 1")).toBe(a);
    expect(db.prepare("select 2")).not.toBe(b);
  });
});
