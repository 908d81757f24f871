import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { appRouter, createContext } from "@tower/api";
import { LIMITS } from "@tower/shared";
import { initTRPC, TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFastCallHandler, type FastCallOptions } from "../src/fast-call";
import { credentialsFrom, sessionCookieFor } from "../src/session-cookie";
import { startTestServer } from "./harness";

/**
 * Plain queries and mutations are answered by Tower's own fast path; tRPC's adapter, run on the
 * same database with the same options, is the reference: status, content type, body and the
 * `onError` reports must be the same for each request. The fast server is wired as server.ts wires
 * it (fast path first, the adapter for what it declines), and says which of the two answered.
 */
let tower: Awaited<ReturnType<typeof startTestServer>>;
let fast: Server;
let reference: Server;
let answeredBy: "fast" | "adapter" | undefined;

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
  auth?: "key" | "none";
  headers?: Record<string, string>;
}

/** Sends `call` and reads the answer; `tag` in the request is replaced in the answer by "TAG". */
async function answer(server: Server, call: Call, tag: string) {
  const headers: Record<string, string> = { ...call.headers };
  if (call.auth !== "none") headers.authorization = `Bearer ${tower.apiKey}`;
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
  ["invalid UTF-8", () => ({ path: "/trpc/ingest.report", body: new Uint8Array([0x7b, 0xff, 0x7d]) }), "fast"],
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

async function compare(servers: [Server, Server], call: Call, route: "fast" | "adapter", tag: string) {
  answeredBy = undefined;
  const fastAnswer = await answer(servers[0], call, `fast-${tag}`);
  expect(answeredBy).toBe(route);
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
