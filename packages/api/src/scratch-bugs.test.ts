import { LIMITS, MetadataSchema } from "@tower/shared";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createWorld, type World } from "./test-fixtures";

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

it("q treats % and _ literally", async () => {
  const { projectId, users } = world;
  const owner = users.owner.caller;
  await owner.agent.create({ projectId, name: "pct", role: "r", description: "done 100% of it" });
  await owner.agent.create({ projectId, name: "pctx", role: "r", description: "done 100x of it" });
  await owner.agent.create({ projectId, name: "snake", role: "r", description: "snake_case" });
  await owner.agent.create({ projectId, name: "snakex", role: "r", description: "snakeXcase" });
  expect((await owner.agent.list({ projectId, q: "100%" })).items.map((a) => a.name)).toEqual([
    "pct",
  ]);
  expect((await owner.agent.list({ projectId, q: "e_c" })).items.map((a) => a.name)).toEqual([
    "snake",
  ]);
});

it("metadata limit counts UTF-8 bytes", () => {
  const value = { k: "€".repeat(6000) };
  expect(Buffer.byteLength(JSON.stringify(value))).toBeGreaterThan(LIMITS.metadataBytes);
  expect(MetadataSchema.safeParse(value).success).toBe(false);
});
