import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { appRouter, createContext } from "@tower/api";
import { LIMITS } from "@tower/shared";
import { initTRPC, TRPCError, type AnyProcedure } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFastCallHandler, TRPC_SERVER_VERSION, type FastCallOptions } from "../src/fast-call";
import { credentialsFrom, sessionCookieFor } from "../src/session-cookie";
import { startTestServer } from "./harness";

/**
 * Plain queries and mutations are answered by Tower's own fast path; tRPC's adapter, run on the
 * same database with the same options, is the reference: status, content type, `vary`, the cookies
 * set, body and the `onError` reports must be the same for each request, on the request shapes
 * below and on every procedure of the router. The fast server is wired as server.ts wires
 * it (fast path first, the adapter for what it declines), and says which of the two answered.
 */
let tower: Awaited<ReturnType<typeof startTestServer>>;
let fast: Server;
let reference: Server;
let answeredBy: "fast" | "adapter" | undefined;
/** The owner's session cookie, for what only a person may call. */
let ownerCookie: string;

interface Server {
  url: string;
  errors: unknown[];
  close(): Promise<void>;
}
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type Options = Omit<FastCallOptions<unknown>, "onError">;

/** A server whose `onError` reports are kept in `errors` (cleared by `answer`). */
async function serve(handlerFor: (onError: FastCallOptions<unknown>["onError"]) => Handler): Promise<Server> {
  const errors: unknown[] = [];
  const server = http.createServer(
    handlerFor(({ error, path, type, input }) =>
      errors.push({ code: error.code, message: error.message, path, type, input }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    errors,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The fast path with the adapter behind it for what it declines, and the adapter alone. */
async function serveBoth(options: Options): Promise<[Server, Server]> {
  const withFastPath = await serve((onError) => {
    const fastCall = createFastCallHandler({ ...options, onError });
    const adapter = createHTTPHandler({ ...options, onError });
    return (req, res) =>
      void fastCall(req, res).then((answered) => {
        answeredBy = answered ? "fast" : "adapter";
        if (!answered) adapter(req, res);
      });
  });
  return [withFastPath, await serve((onError) => createHTTPHandler({ ...options, onError }))];
}

const limits = { basePath: "/trpc/", maxBodySize: LIMITS.requestBodyBytes, maxBatchSize: LIMITS.batchSize };

beforeAll(async () => {
  tower = await startTestServer();
  await tower.owner.agent.create({ projectId: tower.projectId, name: "fast-path", role: "tester" });
  [fast, reference] = await serveBoth({
    ...limits,
    router: appRouter,
    createContext: ({ req, res }) =>
      createContext(tower.deps, credentialsFrom(req), sessionCookieFor(req, res, "auto")),
  });
  const logIn = await fetch(`${tower.url}/trpc/auth.logIn`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.com", password: "correct horse battery" }),
  });
  ownerCookie = logIn.headers.getSetCookie()[0]!.split(";")[0]!;
});
afterAll(async () => {
  await Promise.all([fast.close(), reference.close()]);
  await tower.stop();
});

interface Call {
  method?: "GET" | "POST";
  path: string;
  body?: string | Uint8Array | "stream over the limit";
  contentType?: string | null;
  auth?: "key" | "none" | "session";
  headers?: Record<string, string>;
}

/** Sends `call` and reads the answer; `tag` in the request is replaced in the answer by "TAG". */
async function answer(server: Server, call: Call, tag: string) {
  const headers: Record<string, string> = { ...call.headers };
  if (call.auth === "session") headers.cookie = ownerCookie;
  else if (call.auth !== "none") headers.authorization = `Bearer ${tower.apiKey}`;
  const method = call.method ?? "POST";
  if (method === "POST" && call.contentType !== null) headers["content-type"] = call.contentType ?? "application/json";
  const body =
    call.body === "stream over the limit"
      ? overLimitStream()
      : typeof call.body === "string"
        ? call.body.replaceAll("TAG", tag)
        : call.body;
  server.errors.length = 0;
  const response = await fetch(server.url + call.path.replaceAll("TAG", tag), {
    method,
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    vary: response.headers.get("vary"),
    // Each cookie's name and attributes; its value and expiry are the session's own.
    cookies: response.headers
      .getSetCookie()
      .map((cookie) => cookie.replace(/=[^;]*/, "=…").replace(/; Expires=[^;]*/i, "")),
    body: text.replaceAll(tag, "TAG"),
    errors: JSON.parse(JSON.stringify(server.errors).replaceAll(tag, "TAG")) as unknown,
  };
}

/** A chunked body (no content-length) that passes the size limit only after several chunks. */
function overLimitStream() {
  let sent = 0;
  const chunk = new TextEncoder().encode(`{"items":["${"x".repeat(256 * 1024)}`);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 6) controller.enqueue(chunk);
      else controller.close();
    },
  });
}

const event = (n: number) => ({ kind: "event", id: `TAG-item-${n}`, agent: "fast-path", operation: "tool_use" });
const report = (n = 2) => ({ items: Array.from({ length: n }, (_, i) => event(i)) });
const json = (value: unknown) => JSON.stringify(value);
const q = (procedure: string, input?: unknown) =>
  `/trpc/${procedure}${input === undefined ? "" : `?input=${encodeURIComponent(json(input))}`}`;

const cases: [string, () => Call, "fast" | "adapter"][] = [
  // Queries (GET)
  [
    "a query that succeeds",
    () => ({ method: "GET", path: q("agent.list", { projectId: tower.projectId, limit: 5 }) }),
    "fast",
  ],
  ["a query with no input", () => ({ method: "GET", path: q("auth.me"), auth: "none" }), "fast"],
  [
    "input that fails validation",
    () => ({ method: "GET", path: q("agent.list", { projectId: tower.projectId, limit: -1 }) }),
    "fast",
  ],
  [
    "a query with no credentials",
    () => ({ method: "GET", path: q("agent.list", { projectId: tower.projectId }), auth: "none" }),
    "fast",
  ],
  ["a foreign project", () => ({ method: "GET", path: q("agent.list", { projectId: "no-such-project" }) }), "fast"],
  [
    "a missing record",
    () => ({ method: "GET", path: q("agent.byId", { projectId: tower.projectId, id: "nope" }) }),
    "fast",
  ],
  ["an unknown query", () => ({ method: "GET", path: q("agent.nope", {}) }), "fast"],
  ["a mutation over GET", () => ({ method: "GET", path: q("agent.create", { projectId: tower.projectId }) }), "fast"],
  ["query input that is not JSON", () => ({ method: "GET", path: "/trpc/agent.list?input=%7Bnot-json" }), "fast"],
  [
    "a batch of queries, one failing",
    () => ({
      method: "GET",
      path: `/trpc/agent.list,auth.me,agent.byId?batch=1&input=${encodeURIComponent(json({ 0: { limit: 2 }, 2: { id: "x" } }))}`,
    }),
    "fast",
  ],
  [
    "a streaming batch",
    () => ({ method: "GET", path: `/trpc/auth.me?batch=1`, headers: { "trpc-accept": "application/jsonl" } }),
    "adapter",
  ],
  // Mutations (POST)
  ["a mutation that succeeds", () => ({ path: "/trpc/ingest.report", body: json(report()) }), "fast"],
  ["a batch of one", () => ({ path: "/trpc/ingest.report?batch=1", body: json({ 0: report(3) }) }), "fast"],
  [
    "a batch of two",
    () => ({
      path: "/trpc/ingest.report,ingest.report?batch=1",
      body: json({ 0: report(1), 1: { items: [event(7)] } }),
    }),
    "fast",
  ],
  [
    "a batch with a success, a validation error, an unknown path and a query",
    () => ({
      path: "/trpc/ingest.report,agent.create,agent.nope,ingest.report?batch=1",
      body: json({ 0: report(1), 1: { projectId: tower.projectId, name: "" }, 3: { items: [] } }),
    }),
    "fast",
  ],
  [
    "a batch where every call fails alike",
    () => ({ path: "/trpc/agent.create,agent.update?batch=1", body: json({ 0: {}, 1: {} }), auth: "none" }),
    "fast",
  ],
  ["a batch whose input is not an object", () => ({ path: "/trpc/ingest.report?batch=1", body: "[1]" }), "fast"],
  [
    "a batch with no input for a call",
    () => ({ path: "/trpc/ingest.report,ingest.report?batch=1", body: json({ 1: report(1) }) }),
    "fast",
  ],
  [
    "input that fails validation",
    () => ({ path: "/trpc/agent.create", body: json({ projectId: tower.projectId, name: "" }) }),
    "fast",
  ],
  ["an empty ingest batch", () => ({ path: "/trpc/ingest.report", body: json({ items: [] }) }), "fast"],
  ["no credentials", () => ({ path: "/trpc/ingest.report", body: json(report()), auth: "none" }), "fast"],
  [
    "a wrong password",
    () => ({
      path: "/trpc/auth.logIn",
      body: json({ email: "owner@example.com", password: "wrong password" }),
      auth: "none",
    }),
    "fast",
  ],
  ["an unknown procedure", () => ({ path: "/trpc/agent.nope", body: "{}" }), "fast"],
  ["a query sent as POST", () => ({ path: "/trpc/agent.list", body: json({ projectId: tower.projectId }) }), "fast"],
  ["a batched query sent as POST", () => ({ path: "/trpc/agent.list?batch=1", body: json({ 0: {} }) }), "fast"],
  ["broken JSON", () => ({ path: "/trpc/agent.create", body: '{"name": "x", ' }), "fast"],
  ["broken JSON in a batch", () => ({ path: "/trpc/agent.create,ingest.report?batch=1", body: '{"0": ' }), "fast"],
  ["broken JSON to a procedure without input", () => ({ path: "/trpc/auth.logOut", body: "{not json" }), "fast"],
  ["an empty body", () => ({ path: "/trpc/ingest.report", body: "" }), "fast"],
  ["JSON after a byte-order mark", () => ({ path: "/trpc/ingest.report", body: `\uFEFF${json(report(1))}` }), "fast"],
  // (Bytes that are not UTF-8 are where the two differ on purpose: the fast path refuses them with
  // BAD_REQUEST, the adapter would read U+FFFD; test/raw-reports.test.ts.)
  [
    "a charset in the content type",
    () => ({ path: "/trpc/ingest.report", body: json(report(1)), contentType: "application/json; charset=utf-8" }),
    "fast",
  ],
  [
    "a body over the size limit",
    () => ({ path: "/trpc/ingest.report", body: json({ items: ["x".repeat(LIMITS.requestBodyBytes)] }) }),
    "fast",
  ],
  [
    "a chunked body over the size limit",
    () => ({ path: "/trpc/ingest.report", body: "stream over the limit" }),
    "fast",
  ],
  [
    "a wrong content type",
    () => ({ path: "/trpc/agent.create", body: "name=x", contentType: "application/x-www-form-urlencoded" }),
    "adapter",
  ],
  [
    "no content type",
    () => ({ path: "/trpc/agent.create", body: new TextEncoder().encode("{}"), contentType: null }),
    "adapter",
  ],
  [
    "a batch over the size limit",
    () => ({
      path: `/trpc/${Array.from({ length: LIMITS.batchSize + 1 }, () => "ingest.report").join(",")}?batch=1`,
      body: "{}",
    }),
    "adapter",
  ],
  [
    "a batch mixing queries and mutations",
    () => ({ path: "/trpc/agent.list,agent.create?batch=1", body: "{}" }),
    "adapter",
  ],
  [
    "a streaming batch of mutations",
    () => ({
      path: "/trpc/ingest.report?batch=1",
      body: json({ 0: report(1) }),
      headers: { "trpc-accept": "application/jsonl" },
    }),
    "adapter",
  ],
  ["a path that needs decoding", () => ({ path: "/trpc/ingest%2Ereport", body: json(report(1)) }), "fast"],
  ["a path that does not decode", () => ({ path: "/trpc/ingest.report%E0", body: "{}" }), "adapter"],
];

/** `settle`, when given, runs before each of the two calls (for answers that depend on the previous call). */
async function compare(
  servers: [Server, Server],
  call: Call,
  route: "fast" | "adapter",
  tag: string,
  settle?: () => Promise<unknown>,
) {
  answeredBy = undefined;
  await settle?.();
  const fastAnswer = await answer(servers[0], call, `fast-${tag}`);
  expect(answeredBy).toBe(route);
  await settle?.();
  const adapterAnswer = await answer(servers[1], call, `ref-${tag}`);
  expect(fastAnswer).toEqual(adapterAnswer);
  return adapterAnswer;
}

describe("fast path for queries and mutations", () => {
  const statuses = new Set<number>();
  let run = 0;
  it.each(cases)("answers %s exactly as tRPC's adapter does", async (_name, call, route) => {
    statuses.add((await compare([fast, reference], call(), route, String(++run))).status);
  });

  it("covered successes, each kind of error and a multi-status batch", () => {
    expect([...statuses]).toEqual(expect.arrayContaining([200, 207, 400, 401, 404, 405, 413, 415]));
  });
});

describe("fast path on cases Tower's API does not produce", () => {
  // Output only a streaming link can carry, and a context that cannot be made.
  const t = initTRPC.create({ isDev: false }); // no stack traces, which differ
  const router = t.router({
    later: t.procedure.query(() => ({ value: Promise.resolve(1) })),
    now: t.procedure.query(() => "now"),
    save: t.procedure.mutation(() => "saved"),
  });
  let servers: [Server, Server];
  beforeAll(async () => {
    servers = await serveBoth({
      ...limits,
      router,
      createContext: ({ req }) => {
        if (req.headers["x-fail"]) throw new TRPCError({ code: "FORBIDDEN", message: "no context" });
        return {};
      },
    });
  });
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  const cases: [string, Call][] = [
    ["a promise in a query's output", { method: "GET", path: "/trpc/later" }],
    ["a promise in a batched query's output", { method: "GET", path: "/trpc/later,now?batch=1" }],
    ["a context that fails", { path: "/trpc/save", body: "{}", headers: { "x-fail": "1" } }],
    ["a context that fails in a batch", { path: "/trpc/save,nope?batch=1", body: "{}", headers: { "x-fail": "1" } }],
  ];
  it.each(cases)("answers %s exactly as tRPC's adapter does", async (name, call) => {
    await compare(servers, call, "fast", name);
  });
});

describe("fast path on every procedure", () => {
  // Read from the router, so a procedure added later is compared too. Queries are called as the
  // owner and with an API key on the project (answers, or the refusals of a wrong role); every
  // procedure anonymously, with input of the wrong type, and with the wrong method. Mutations
  // are not called with valid input here: the two calls would change the state the second one
  // sees (ingest.report, the fast path's reason to exist, is compared above, alone and batched).
  // At run time `_def.procedures` is flat, keyed by the dotted path (its declared type is nested).
  const flat = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  const procedures = Object.entries(flat).map(([path, procedure]) => [path, procedure._def.type] as const);
  const callsFor = (path: string, type: string): [string, () => Call, "fast" | "adapter"][] => {
    const get = (input: unknown, auth: Call["auth"]): Call => ({ method: "GET", path: q(path, input), auth });
    const post = (input: unknown, auth: Call["auth"]): Call => ({ path: `/trpc/${path}`, body: json(input), auth });
    const project = () => ({ projectId: tower.projectId });
    if (type === "mutation")
      return [
        ["anonymously", () => post({}, "none"), "fast"],
        ["with input of the wrong type", () => post("not an object", "key"), "fast"],
        ["over GET", () => get(project(), "key"), "fast"],
      ];
    // Subscriptions over HTTP are the adapter's (a stream of server-sent events); only refusals
    // are compared, which end the answer.
    if (type === "subscription")
      return [
        ["anonymously", () => get(project(), "none"), "adapter"],
        ["with input of the wrong type", () => get("not an object", "key"), "adapter"],
      ];
    return [
      ["as the owner", () => get(project(), "session"), "fast"],
      ["with an API key", () => get(project(), "key"), "fast"],
      ["anonymously", () => get(project(), "none"), "fast"],
      ["with input of the wrong type", () => get("not an object", "key"), "fast"],
      ["over POST", () => post(project(), "key"), "fast"],
    ];
  };
  // audit.verify is incremental: a call checks only the rows appended since the one before. Each
  // side is compared after a call of its own, so both answer the same "nothing new".
  const settleFirst: Record<string, () => Promise<unknown>> = {
    "audit.verify": () =>
      fetch(tower.url + q("audit.verify", { projectId: tower.projectId }), { headers: { cookie: ownerCookie } }),
  };
  const statuses = new Set<number>();

  it("lists the router's procedures", () => {
    expect(procedures.length).toBeGreaterThan(50);
    expect(new Set(procedures.map(([, type]) => type))).toEqual(new Set(["query", "mutation", "subscription"]));
  });

  it.each(procedures)("answers %s (a %s) exactly as tRPC's adapter does", async (path, type) => {
    for (const [name, call, route] of callsFor(path, type)) {
      const tag = `${path}-${name}`.replaceAll(" ", "-");
      const answer = await compare([fast, reference], call(), route, tag, settleFirst[path]);
      statuses.add(answer.status);
    }
  });

  it("covered successes and refusals", () => {
    expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 401, 403, 405]));
  });
});

describe("fast-call.ts against the installed tRPC", () => {
  // fast-call.ts mirrors tRPC's own response handling (resolveResponse) through
  // @trpc/server/unstable-core-do-not-import, which any release may change. When @trpc/server is
  // upgraded, read what changed in resolveResponse and getRequestInfo, run this file, then update
  // TRPC_SERVER_VERSION in fast-call.ts (see docs/decisions/fast-call.md).
  it("was checked against the @trpc/server version that is installed", () => {
    const installed = (createRequire(import.meta.url)("@trpc/server/package.json") as { version: string }).version;
    expect(installed).toBe(TRPC_SERVER_VERSION);
  });
});
