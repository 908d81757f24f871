import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appRouter } from "../root";
import { createWorld, errorShape, expectTRPCError, PASSWORD, type World } from "../test-fixtures";
import { createContext } from "./context";
import type { Credentials } from "./deps";
import { DomainError } from "./errors";
import type { TowerErrorShape } from "./procedure-types";

/** One call over HTTP, as a client makes it: the error answer as the client reads it. */
async function callOverHttp(world: World, credentials: Credentials, path: string, input: unknown) {
  const response = await fetchRequestHandler({
    endpoint: "/trpc",
    router: appRouter,
    createContext: () => createContext(world.deps, credentials),
    req: new Request(`http://tower.test/trpc/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(input),
    }),
  });
  const body = (await response.json()) as { error?: TowerErrorShape };
  return { status: response.status, error: body.error };
}

describe("DomainError with a field", () => {
  let world: World;
  beforeEach(async () => {
    world = await createWorld();
  });
  afterEach(() => world.close());

  it("keeps its message as 'field: message' and carries the field", () => {
    const error = new DomainError("CONFLICT", "Already taken", { field: "name" });
    expect(error.message).toBe("name: Already taken");
    expect(error.field).toBe("name");
    expect(new DomainError("NOT_FOUND", "Gone").field).toBeNull();
  });

  it("reaches the client with data.field and the same message", async () => {
    const { status, error } = await callOverHttp(world, { apiKey: world.keys.admin.secret }, "agent.create", {
      projectId: world.projectId,
      name: "home-agent",
      role: "coder",
    });
    expect(status).toBe(409);
    expect(error?.message).toBe('name: An agent named "home-agent" already exists in this project');
    expect(error?.data).toMatchObject({ code: "CONFLICT", field: "name", zodError: null });
  });

  it("a refusal about no field has data.field null; invalid input names its first field and keeps zod's field errors", async () => {
    const owner = world.users.owner.caller;
    const missing = await expectTRPCError(
      owner.agent.byName({ projectId: world.projectId, name: "nobody" }),
      "NOT_FOUND",
    );
    expect(errorShape(missing).data.field).toBeNull();

    const { error } = await callOverHttp(world, { apiKey: world.keys.admin.secret }, "agent.create", {
      projectId: world.projectId,
      name: "",
      role: "coder",
    });
    expect(error?.data.field).toBe("name");
    expect(error?.data.zodError?.fieldErrors).toHaveProperty("name");
    // zod's own wording is not said twice ("Invalid input: limit: Invalid input: expected…").
    const { error: typed } = await callOverHttp(world, { apiKey: world.keys.admin.secret }, "task.runNow", {
      task: "any",
      priority: "high",
    });
    expect(typed?.message).toBe("Invalid input: priority: expected number, received string");
    expect(typed?.data.field).toBe("priority");
  });

  it("a call with a thousand bad items names the first ten and counts the rest, in the message and per field", async () => {
    const runs = Array.from({ length: 1_000 }, () => ({ priority: "high" }));
    const { status, error } = await callOverHttp(world, { apiKey: world.keys.admin.secret }, "task.enqueueMany", {
      task: "any",
      runs,
    });
    expect(status).toBe(400);
    expect(error?.message).toMatch(/^Invalid input: runs\.0\.priority: expected number, received string; /);
    expect(error?.message).toMatch(/runs\.9\.priority: [^;]+; and 990 more problems$/);
    expect(error?.message).not.toContain("runs.10.");
    expect(error?.data.zodError?.fieldErrors.runs).toHaveLength(10);
    expect(JSON.stringify(error).length).toBeLessThan(5_000);
  });

  it("a weak password names the input field it came in", async () => {
    const error = await expectTRPCError(
      world.users.owner.caller.auth.changePassword({ currentPassword: PASSWORD, newPassword: "passwordpassword" }),
      "BAD_REQUEST",
      /^newPassword: This password is too easy to guess/,
    );
    expect(errorShape(error).data.field).toBe("newPassword");
  });
});
