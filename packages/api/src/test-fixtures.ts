/**
 * Shared setup for the API tests: real state built through the callers on an in-memory database.
 * Only test files import this module.
 */
import { agents, memberships, users } from "@tower/db";
import type { ApiKeyScope, ChangeEvent, Role } from "@tower/shared";
import { getTRPCErrorShape, isTrackedEnvelope, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { count, eq } from "drizzle-orm";
import { expect } from "vitest";
import { createContext } from "./core/context";
import type { Credentials, Deps } from "./core/deps";
import { createCallerFactory } from "./core/trpc";
import { appRouter } from "./root";
import { callerFor, createTestDeps } from "./testing";

export const PASSWORD = "correct horse battery staple";

/** The fields of an `AuditEvent`, as lists and live tails send them (no chain links, project or client id). */
export const AUDIT_EVENT_FIELDS = [
  "id",
  "at",
  "actorType",
  "actorId",
  "actorName",
  "operation",
  "target",
  "decision",
  "agentId",
  "sessionId",
  "detail",
  "reportedAt",
  "seq",
] as const;

export type TestCaller = ReturnType<typeof callerFor>;

/** Signs a user up through `auth.signUp` and returns a caller holding the session cookie it set. */
export async function signUpUser(deps: Deps, email: string, name: string, inviteToken?: string) {
  const anonymous = callerFor(deps);
  // The first account gives the setup code; everyone after joins with an invite.
  const setupCode = inviteToken ? undefined : deps.setupCode;
  const { user } = await anonymous.auth.signUp({ email, name, password: PASSWORD, inviteToken, setupCode });
  const token = anonymous.cookies.token;
  if (!token) throw new Error("sign-up set no session cookie");
  return { user, token, caller: callerFor(deps, { sessionToken: token }) };
}

/** An admin of `projectId` invites someone with `role`, who signs up with the link. */
export async function inviteAndSignUp(
  deps: Deps,
  inviter: TestCaller,
  projectId: string,
  role: Exclude<Role, "owner">,
  email: string,
  name: string,
) {
  const invite = await inviter.invite.create({ projectId, role });
  return signUpUser(deps, email, name, invite.token);
}

export async function createKey(
  caller: TestCaller,
  projectId: string,
  scopes: ApiKeyScope[],
  name = `key-${scopes.join("-")}`,
  agentNames?: string[],
) {
  return caller.apiKey.create({ projectId, name, scopes, agentNames });
}

/**
 * A project ("Home") with an owner, an admin, an operator and a viewer, API keys (admin, manage,
 * read, an agent key bound to "home-agent", revoked), a user who is only a member of another project ("Lobby"), and a foreign project owned
 * by someone none of them share it with. Each project starts with one agent.
 */
export async function createWorld(options: Parameters<typeof createTestDeps>[0] = {}) {
  const env = createTestDeps(options);
  const { deps } = env;

  const owner = await signUpUser(deps, "owner@example.com", "Olivia Owner");
  const me = await owner.caller.auth.me();
  const home = me.memberships[0];
  if (!home) throw new Error("the first user owns no project");
  const projectId = home.projectId;

  const admin = await inviteAndSignUp(deps, owner.caller, projectId, "admin", "admin@example.com", "Adam Admin");
  const operator = await inviteAndSignUp(
    deps,
    owner.caller,
    projectId,
    "operator",
    "operator@example.com",
    "Oscar Operator",
  );
  const viewer = await inviteAndSignUp(deps, owner.caller, projectId, "viewer", "viewer@example.com", "Vera Viewer");

  // Two people join only the lobby; one of them then starts the foreign project.
  const lobby = await owner.caller.project.create({ name: "Lobby" });
  const outsider = await inviteAndSignUp(
    deps,
    owner.caller,
    lobby.projectId,
    "viewer",
    "outsider@example.com",
    "Otto Outsider",
  );
  const foreignOwner = await inviteAndSignUp(
    deps,
    owner.caller,
    lobby.projectId,
    "viewer",
    "foreign@example.com",
    "Fiona Foreign",
  );
  const foreign = await foreignOwner.caller.project.create({ name: "Foreign" });
  const foreignProjectId = foreign.projectId;

  const adminKey = await createKey(owner.caller, projectId, ["admin"]);
  const manageKey = await createKey(owner.caller, projectId, ["manage"]);
  const readKey = await createKey(owner.caller, projectId, ["read"]);
  const agentKey = await createKey(owner.caller, projectId, ["agent"], "home agent's key", ["home-agent"]);
  const revokedKey = await createKey(owner.caller, projectId, ["manage"], "revoked");
  await owner.caller.apiKey.revoke({ projectId, id: revokedKey.id });

  const homeAgent = await owner.caller.agent.create({
    projectId,
    name: "home-agent",
    role: "coder",
    description: "at home",
  });
  const foreignAgent = await foreignOwner.caller.agent.create({
    projectId: foreignProjectId,
    name: "foreign-agent",
    role: "coder",
    description: "abroad",
  });

  return {
    ...env,
    projectId,
    foreignProjectId,
    lobbyProjectId: lobby.projectId,
    users: { owner, admin, operator, viewer, outsider, foreignOwner },
    keys: { admin: adminKey, manage: manageKey, read: readKey, agent: agentKey, revoked: revokedKey },
    homeAgent,
    foreignAgent,
    /** A fresh caller for the given credentials (credentials are resolved when it is made). */
    as: (credentials: Credentials) => callerFor(deps, credentials),
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** Awaits a call that must fail with `code`; returns the error for further checks. */
export async function expectTRPCError(
  call: Promise<unknown>,
  code: TRPC_ERROR_CODE_KEY,
  message?: string | RegExp,
): Promise<TRPCError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(TRPCError);
  const error = caught as TRPCError;
  expect(error.code).toBe(code);
  if (typeof message === "string") expect(error.message).toBe(message);
  else if (message) expect(error.message).toMatch(message);
  return error;
}

/** The error shape a client would receive, through the app's own error formatter. */
export function errorShape(error: TRPCError, path = "test") {
  return getTRPCErrorShape({
    config: appRouter._def._config,
    error,
    type: "mutation",
    path,
    input: undefined,
    ctx: undefined,
  });
}

export function countAgents(deps: Deps, projectId?: string): number {
  const query = deps.db.select({ n: count() }).from(agents);
  return (projectId ? query.where(eq(agents.projectId, projectId)) : query).get()?.n ?? 0;
}

export function countUsers(deps: Deps): number {
  return deps.db.select({ n: count() }).from(users).get()?.n ?? 0;
}

export function countMemberships(deps: Deps, projectId: string): number {
  return deps.db.select({ n: count() }).from(memberships).where(eq(memberships.projectId, projectId)).get()?.n ?? 0;
}

export function agentRow(deps: Deps, id: string) {
  return deps.db.select().from(agents).where(eq(agents.id, id)).get();
}

const createCaller = createCallerFactory(appRouter);

/** A caller whose subscriptions stop when `signal` aborts. */
export function callerWithSignal(deps: Deps, credentials: Credentials, signal: AbortSignal) {
  return createCaller(createContext(deps, credentials), { signal });
}

export interface Envelope<T = ChangeEvent> {
  id: string;
  data: T;
}

/**
 * Reads subscription items as `{ id, data }` whatever shape the caller hands them out in. A read
 * that timed out stays pending and is what the following `next()` returns, so nothing is lost.
 */
export function reader<T = ChangeEvent>(iterable: AsyncIterable<unknown>) {
  const iterator = iterable[Symbol.asyncIterator]();
  let pending: Promise<Envelope<T>> | null = null;
  const pull = async (): Promise<Envelope<T>> => {
    const result = await iterator.next();
    if (result.done) throw new Error("subscription ended");
    const value: unknown = result.value;
    if (isTrackedEnvelope<T>(value)) return { id: value[0], data: value[1] };
    return value as Envelope<T>;
  };
  /** The outstanding read; a read left pending when the stream stops must not reject unhandled. */
  const start = (): Promise<Envelope<T>> => {
    const current = pull();
    current.catch(() => {});
    return current;
  };
  const next = (): Promise<Envelope<T>> => {
    const current = pending ?? start();
    pending = current;
    return current.finally(() => {
      if (pending === current) pending = null;
    });
  };
  return {
    next,
    /** Starts the subscription (a subscription runs from its first read) without taking an item. */
    open() {
      pending ??= start();
    },
    async take(n: number): Promise<Envelope<T>[]> {
      const out: Envelope<T>[] = [];
      for (let i = 0; i < n; i++) out.push(await next());
      return out;
    },
    /** The next item, or "timeout" when none comes within `ms` of real time. */
    async nextOrTimeout(ms = 50): Promise<Envelope<T> | "timeout"> {
      const current = pending ?? start();
      pending = current;
      const result = await Promise.race([
        current,
        new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms)),
      ]);
      if (result !== "timeout" && pending === current) pending = null;
      return result;
    },
  };
}
