import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "../root";
import { countAgents, createWorld, errorShape, expectTRPCError, type World } from "../test-fixtures";
import { shapeOfParsers, type Shape } from "./input-keys";

describe("the fields a procedure takes, read from its parsers", () => {
  const fields = (...parsers: unknown[]) => {
    const found = shapeOfParsers(parsers);
    return found && [...found.keys()].sort();
  };
  /** The shape as nested plain objects, null where a field's value is not checked. */
  const tree = (shape: Shape | null): unknown =>
    shape && Object.fromEntries([...shape].map(([key, below]) => [key, tree(below)]));

  it("unites the objects of every .input(), through optional, default, unions and pipes", () => {
    const scope = z.object({ projectId: z.string() });
    expect(fields(scope, z.object({ name: z.string(), limit: z.number().default(5) }))).toEqual([
      "limit",
      "name",
      "projectId",
    ]);
    expect(fields(z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]))).toEqual(["a", "b"]);
    expect(fields(z.object({ a: z.string() }).optional())).toEqual(["a"]);
    expect(fields(z.object({ a: z.string() }).transform((v) => v.a))).toEqual(["a"]);
    expect(fields(z.intersection(z.object({ a: z.string() }), z.object({ b: z.string() })))).toEqual(["a", "b"]);
  });

  it("does not guess where a schema takes any field or may rename them", () => {
    expect(fields(z.looseObject({ a: z.string() }))).toBeNull();
    expect(fields(z.preprocess((v) => v, z.object({ a: z.string() })))).toBeNull();
    expect(fields(z.object({ a: z.string() }), (raw: unknown) => raw)).toBeNull();
    expect(fields()).toBeNull();
  });

  it("reads into objects and lists of objects, not into records or free JSON", () => {
    const step = z.object({ role: z.string(), onFailure: z.enum(["stop", "retry"]).default("stop") });
    const shape = shapeOfParsers([
      z.object({
        patch: z.object({ role: z.string(), budget: z.object({ usd: z.number() }).nullable() }).partial(),
        steps: z.array(step).min(1),
        metadata: z.record(z.string(), z.string()),
        input: z.json(),
        target: z.discriminatedUnion("kind", [
          z.object({ kind: z.literal("any"), value: z.null() }),
          z.object({ kind: z.literal("role"), value: z.string() }),
        ]),
      }),
    ]);
    expect(tree(shape)).toEqual({
      patch: { role: null, budget: { usd: null } },
      steps: { role: null, onFailure: null },
      metadata: null,
      input: null,
      target: { kind: null, value: null },
    });
  });

  it("knows the fields of every query and mutation that takes an object, but ingest's own parser", () => {
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { type: string; inputs: unknown[] } }
    >;
    const unknown = Object.entries(procedures)
      .filter(([, p]) => p._def.type !== "subscription" && p._def.inputs.length > 0)
      .filter(([, p]) => shapeOfParsers(p._def.inputs) === null)
      .map(([path]) => path);
    expect(unknown).toEqual(["ingest.report"]);
  });
});

describe("a call with a field its procedure does not take", () => {
  let world: World;
  beforeEach(async () => {
    world = await createWorld();
  });
  afterEach(() => world.close());

  it("is refused, naming the field and what the call takes, and changes nothing", async () => {
    const { caller } = world.users.owner;
    const before = countAgents(world.deps, world.projectId);
    const error = await expectTRPCError(
      caller.agent.create({ projectId: world.projectId, name: "typo", role: "coder", allowedTool: ["Read"] } as never),
      "BAD_REQUEST",
    );
    const shape = errorShape(error);
    expect(shape.message).toMatch(
      /^Invalid input: allowedTool: Unknown field; this call takes projectId, name, role, .*allowedTools/,
    );
    expect(shape.data.zodError?.fieldErrors).toHaveProperty("allowedTool");
    expect(countAgents(world.deps, world.projectId)).toBe(before);
  });

  it("is refused inside an object or a list the call takes, with the path to it", async () => {
    const { caller } = world.users.owner;
    const error = await expectTRPCError(
      caller.agent.update({ projectId: world.projectId, id: world.homeAgent.id, patch: { rol: "x" } } as never),
      "BAD_REQUEST",
    );
    expect(errorShape(error).message).toMatch(/^Invalid input: patch\.rol: Unknown field; patch takes .*role/);
    const steps = [{ name: "one", target: { kind: "role", value: "coder" }, agnet: "x" }];
    const workflow = await expectTRPCError(
      caller.workflow.create({ projectId: world.projectId, name: "w", steps } as never),
      "BAD_REQUEST",
    );
    expect(errorShape(workflow).message).toMatch(/^Invalid input: steps\.0\.agnet: Unknown field; steps takes /);
  });

  it("is refused for an agent's policy check too, before anything is decided", async () => {
    const agent = world.as({ apiKey: world.keys.agent.secret });
    const error = await expectTRPCError(
      agent.policy.check({ projectId: world.projectId, agent: "home-agent", tool: "Read", paths: ["x"] } as never),
      "BAD_REQUEST",
    );
    expect(errorShape(error).message).toMatch(/^Invalid input: paths: Unknown field/);
  });

  it("still takes every field it declares, and the direction tRPC's infinite queries page in", async () => {
    const { caller } = world.users.owner;
    const page = await caller.agent.list({ projectId: world.projectId, limit: 1, direction: "forward" } as never);
    expect(page.items).toHaveLength(1);
    const decision = await world
      .as({ apiKey: world.keys.agent.secret })
      .policy.check({ projectId: world.projectId, agent: "home-agent", tool: "Read", checkId: "c-1" });
    expect(decision.decision).toBeDefined();
  });
});
