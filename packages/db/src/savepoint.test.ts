import { afterEach, describe, expect, it } from "vitest";
import { inSavepoint } from "./savepoint";
import { projects } from "./schema";
import { createTestDb } from "./test-db";

const handles: { close(): void }[] = [];
afterEach(() => handles.splice(0).forEach((handle) => handle.close()));

function project(id: string) {
  return { id, name: id, slug: id, createdAt: 1, updatedAt: 1 };
}

describe("inSavepoint", () => {
  it("undoes only the writes of a body that throws, and throws its error on; the others commit", () => {
    const handle = createTestDb();
    handles.push(handle);
    const outcomes = handle.db.transaction((tx) =>
      ["kept-1", "undone", "kept-2"].map((id) => {
        try {
          return inSavepoint(tx, (sp) => {
            sp.insert(projects).values(project(id)).run();
            if (id === "undone") throw new Error("refused");
            return id;
          });
        } catch (error) {
          return (error as Error).message;
        }
      }),
    );
    expect(outcomes).toEqual(["kept-1", "refused", "kept-2"]);
    expect(handle.sqlite.prepare("select id from projects order by id").pluck().all()).toEqual(["kept-1", "kept-2"]);
  });

  it("nests: an inner failure undoes the inner writes only, an outer one undoes both", () => {
    const handle = createTestDb();
    handles.push(handle);
    handle.db.transaction((tx) => {
      inSavepoint(tx, (outer) => {
        outer.insert(projects).values(project("outer")).run();
        expect(() =>
          inSavepoint(outer, (inner) => {
            inner.insert(projects).values(project("inner")).run();
            throw new Error("inner");
          }),
        ).toThrow("inner");
      });
      expect(() =>
        inSavepoint(tx, (outer) => {
          outer.insert(projects).values(project("outer-2")).run();
          inSavepoint(outer, (inner) => inner.insert(projects).values(project("inner-2")).run());
          throw new Error("outer");
        }),
      ).toThrow("outer");
    });
    expect(handle.sqlite.prepare("select id from projects").pluck().all()).toEqual(["outer"]);
    expect(handle.sqlite.inTransaction).toBe(false);
  });
});

describe("db.transaction (one transaction object per connection)", () => {
  it("commits, rolls back on a throw or tx.rollback(), and takes a savepoint when nested", () => {
    const handle = createTestDb();
    handles.push(handle);
    const { db, sqlite } = handle;
    const ids = () => sqlite.prepare("select id from projects order by id").pluck().all();
    db.transaction((tx) => tx.insert(projects).values(project("a")).run());
    expect(() =>
      db.transaction((tx) => {
        tx.insert(projects).values(project("b")).run();
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(() =>
      db.transaction((tx) => {
        tx.insert(projects).values(project("c")).run();
        tx.rollback();
      }),
    ).toThrow();
    db.transaction((tx) => {
      tx.insert(projects).values(project("d")).run();
      expect(() =>
        db.transaction((inner) => {
          inner.insert(projects).values(project("e")).run();
          throw new Error("inner");
        }),
      ).toThrow("inner");
      expect(sqlite.inTransaction).toBe(true);
    });
    expect(ids()).toEqual(["a", "d"]);
    expect(sqlite.inTransaction).toBe(false);
  });
});
