import { describe, expect, it } from "vitest";
import { describeInputProblem, findInputProblem } from "./input-guard";

const nestedObjects = (levels: number) => {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
};

describe("findInputProblem", () => {
  it("accepts ordinary input, including surrogate pairs (emoji)", () => {
    expect(
      findInputProblem({ name: "scout 🚀", tags: ["a", "b"], metadata: { n: 1, ok: null, list: [{ x: "y" }] } }),
    ).toBe(null);
    expect(findInputProblem(undefined)).toBe(null);
    expect(findInputProblem("plain")).toBe(null);
  });

  it("allows exactly maxDepth levels of objects and arrays, and names the path of the first one deeper", () => {
    expect(findInputProblem(nestedObjects(32))).toBe(null);
    const problem = findInputProblem(nestedObjects(33));
    expect(problem && describeInputProblem(problem)).toBe("a.a.a.a.….a: is nested more than 32 levels deep");
    expect(findInputProblem({ list: [[[1]]] }, { maxDepth: 3 })).toEqual({
      path: ["list", 0, 0],
      message: "is nested more than 3 levels deep",
    });
  });

  it("walks a value far deeper than the stack would allow without throwing", () => {
    const deep = JSON.parse("[".repeat(200_000) + "]".repeat(200_000)) as unknown;
    expect(findInputProblem({ detail: deep })?.message).toBe("is nested more than 32 levels deep");
  });

  it("finds a lone surrogate in a value, an array item or a key, and says where", () => {
    expect(findInputProblem({ role: "x\ud800" })?.path).toEqual(["role"]);
    expect(findInputProblem({ tags: ["ok", "\udc00"] })?.path).toEqual(["tags", 1]);
    expect(findInputProblem({ metadata: { "k\ud800": 1 } })).toEqual({
      path: ["metadata"],
      message: expect.stringMatching(/^has a key that contains a broken character/) as unknown as string,
    });
    expect(findInputProblem("\ud800")).toMatchObject({ path: [] });
  });

  it("refuses a __proto__ key at any depth, as JSON.parse hands it over (it would be dropped silently after)", () => {
    const sent = JSON.parse('{"input":{"cmd":"ls","nested":[{"__proto__":{"cmd":"rm -rf /"}}]}}') as unknown;
    const problem = findInputProblem(sent);
    expect(problem && describeInputProblem(problem)).toBe(
      'input.nested.0.__proto__: is a key named "__proto__", which JavaScript objects cannot hold as data; rename it',
    );
    expect(findInputProblem(JSON.parse('{"__proto__":1}'))?.path).toEqual(["__proto__"]);
    // Other names that only look special are data like any other.
    expect(findInputProblem(JSON.parse('{"constructor":1,"prototype":{"x":1}}'))).toBe(null);
  });

  it("with skipItems, leaves the root's items to be checked one by one", () => {
    const batch = { items: [{ detail: nestedObjects(40) }, { target: "\ud800" }] };
    expect(findInputProblem(batch, { skipItems: true })).toBe(null);
    expect(findInputProblem(batch)).not.toBe(null);
    // Only the root's items: anything else is still checked.
    expect(findInputProblem({ items: [], other: { items: [{ t: "\ud800" }] } }, { skipItems: true })).not.toBe(null);
  });

  it("leaves bytes alone (a body passed on unparsed is checked by whoever parses it)", () => {
    // Not walked at all: not its million indexes, not even a property someone hung on it.
    const bytes = Object.assign(new Uint8Array(1_000_000), { label: "\ud800" });
    expect(findInputProblem({ raw: { bytes, items: 3 }, note: "fine" })).toBe(null);
    expect(findInputProblem({ raw: { bytes }, note: "\ud800" })).toMatchObject({ path: ["note"] });
  });
});
