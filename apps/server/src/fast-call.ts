import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyRouter } from "@trpc/server";
import { createURL } from "@trpc/server/adapters/node-http";
import {
  getErrorShape,
  getHTTPStatusCode,
  getRequestInfo,
  getTRPCErrorFromUnknown,
  isAsyncIterable,
  isObject,
  isPromise,
  transformTRPCResponse,
  TRPCError,
  type ProcedureType,
  type TRPCRequestInfo,
} from "@trpc/server/unstable-core-do-not-import";

/**
 * The @trpc/server release this file was last compared with (its resolveResponse and
 * getRequestInfo). test/fast-call.test.ts fails when the installed version differs: read what
 * changed in those two, run the test, then update this (see docs/decisions/fast-call.md).
 */
export const TRPC_SERVER_VERSION = "11.19.0";

export interface FastCallOptions<TContext> {
  router: AnyRouter;
  basePath: string;
  maxBodySize: number;
  maxBatchSize: number;
  createContext(opts: {
    req: IncomingMessage;
    res: ServerResponse;
    info: TRPCRequestInfo;
  }): TContext | Promise<TContext>;
  onError(opts: {
    error: TRPCError;
    path: string | undefined;
    input: unknown;
    ctx: TContext | undefined;
    type: ProcedureType | "unknown";
    req: IncomingMessage;
  }): void;
  /**
   * Waited for before parsing a large body (a batch of reports): parsing is bulk work and takes
   * its turn with the rest (the API's bulk lane), so small calls are not held up behind it.
   */
  largeBodyTurn?: () => Promise<void>;
  /**
   * For a lone call (not a batch) to `path`: a reader that makes the procedure's raw input from the
   * body's bytes instead of parsing them here, or undefined to parse as usual. The procedure's
   * input parser must accept what it returns.
   */
  rawBody?: (path: string, req: IncomingMessage) => ((bytes: Uint8Array) => unknown) | undefined;
}

type Outcome = { data: unknown } | { error: TRPCError; whole?: boolean };

const METHOD_OF = { query: "GET", mutation: "POST", subscription: "GET" } as const;
// As `Request.json()`: UTF-8, a leading BOM dropped; but bytes that are not UTF-8 are refused, not
// read as U+FFFD (the input would be stored altered).
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * tRPC's Node adapter turns every request into a Fetch `Request` and `Response` (web streams,
 * abort signals), which costs more than a small call itself. Plain JSON queries (GET) and
 * mutations (POST), single or batched, are answered here instead: tRPC's own request parser
 * (`getRequestInfo`, which reads the body only when a procedure asks for its input), procedure
 * call, error shape and status rules, mirroring `resolveResponse` so the answer is the adapter's
 * byte for byte (test/fast-call.test.ts compares both), but for a body that is not UTF-8, refused
 * here where the adapter would read it altered. Whatever is decided before the body is
 * read — other methods or content types, streaming, subscriptions, a request tRPC refuses whole
 * (batch too large, mixed types) — returns false and goes to the adapter. Kept because it takes
 * about 0.4 ms off every small HTTP call (docs/decisions/fast-call.md, where the figures are);
 * `pnpm bench` measures both paths in every run.
 */
export function createFastCallHandler<TContext>(opts: FastCallOptions<TContext>) {
  const config = opts.router._def._config;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const method = req.method;
    // Other methods and content types (form data, octet streams, none on a POST) are the adapter's.
    const contentType = req.headers["content-type"];
    const json = contentType === undefined ? method === "GET" : contentType.startsWith("application/json");
    if ((method !== "GET" && method !== "POST") || !json) return false;

    let info: TRPCRequestInfo;
    try {
      const url = createURL(req);
      const headers = headersOf(req);
      const path = decodeURIComponent(url.pathname.slice(opts.basePath.length));
      const rawBody = method === "POST" && !url.searchParams.has("batch") ? opts.rawBody?.(path, req) : undefined;
      info = await getRequestInfo({
        req: {
          method,
          headers,
          json: () =>
            rawBody
              ? readBody(req, opts.maxBodySize).then(rawBody)
              : readJson(req, opts.maxBodySize, opts.largeBodyTurn),
          signal: undefined,
        } as unknown as Request,
        path,
        router: opts.router,
        searchParams: url.searchParams,
        headers,
        url,
        maxBatchSize: opts.maxBatchSize,
      });
    } catch {
      return false;
    }
    if (info.accept === "application/jsonl" || info.type === "subscription") return false;

    let ctx: TContext | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = await opts.createContext({ req, res, info });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }
    // As resolveResponse: every call starts at once; each failure is reported and shaped on its own.
    const outcomes = info.calls.map(async (call): Promise<Outcome> => {
      const procedure = call.procedure;
      try {
        if (!procedure)
          throw new TRPCError({ code: "NOT_FOUND", message: `No procedure found on path "${call.path}"` });
        const type = procedure._def.type;
        if (METHOD_OF[type] !== method)
          throw new TRPCError({
            code: "METHOD_NOT_SUPPORTED",
            message: `Unsupported ${method}-request to ${type} procedure at path "${call.path}"`,
          });
        if (ctxError) throw ctxError;
        // No abort signal: Tower's queries and mutations use none (subscriptions go to the adapter).
        const { path, getRawInput, batchIndex } = call;
        const data: unknown = await procedure({ path, getRawInput, ctx, type, signal: undefined, batchIndex });
        if (!isDataStream(data)) return { data };
        // Output holding a promise or iterator needs a streaming link. The adapter refuses it; a lone
        // call then fails as a whole request does: reported and shaped without path or input.
        const error = new TRPCError({ code: "UNSUPPORTED_MEDIA_TYPE", message: STREAM_REFUSED });
        if (info.isBatchCall) return { error };
        opts.onError({ error, path: undefined, input: undefined, ctx, type, req });
        return { error, whole: true };
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        opts.onError({
          error,
          path: call.path,
          input: call.result(),
          ctx,
          type: procedure?._def.type ?? "unknown",
          req,
        });
        return { error };
      }
    });
    const responses = (await Promise.all(outcomes)).map((outcome, index) => {
      if ("data" in outcome) return { result: { data: outcome.data } };
      const call = info.calls[index]!;
      const { error, whole } = outcome;
      const [path, input] = whole ? [undefined, undefined] : [call.path, call.result()];
      return {
        error: getErrorShape({ config, ctx, error, input, path, type: call.procedure?._def.type ?? "unknown" }),
      };
    });

    const body = info.isBatchCall ? responses : responses[0]!;
    // The adapter lets a status set on `res` (by createContext or a procedure) stand.
    if (res.statusCode === 200) res.statusCode = getHTTPStatusCode(body as never);
    res.setHeader("vary", "trpc-accept, accept");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(transformTRPCResponse(config, body as never)));
    return true;
  };
}

const STREAM_REFUSED = "Cannot use stream-like response in non-streaming request - use httpBatchStreamLink";

/** tRPC's own test for output that only a streaming response could carry. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  return Object.values(value).some((v) => isPromise(v) || isAsyncIterable(v));
}

/** The part of Fetch `Headers` that tRPC's request parser reads. */
function headersOf(req: IncomingMessage) {
  const get = (name: string) => {
    const value = req.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
  };
  return { get, has: (name: string) => get(name) !== null } as unknown as Headers;
}

/** Bodies from this size on are parsed in a turn of bulk work (see `FastCallOptions.largeBodyTurn`). */
const LARGE_BODY_BYTES = 32_768;

/** The body as JSON, failing as `Request.json()` does (see `readBody`); large bodies take a bulk turn first. */
async function readJson(req: IncomingMessage, limit: number, largeBodyTurn?: () => Promise<void>): Promise<unknown> {
  const body = await readBody(req, limit);
  if (largeBodyTurn && body.length >= LARGE_BODY_BYTES) await largeBodyTurn();
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw new TRPCError({ code: "BAD_REQUEST", message: "The body is not valid UTF-8 text; nothing was done" });
  }
  return JSON.parse(text);
}

/**
 * The body's bytes, failing as the adapter's body stream does: over `limit` bytes it stops
 * listening (the rest is discarded, the connection stays usable) and throws PAYLOAD_TOO_LARGE.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      reject(new TRPCError({ code: "PAYLOAD_TOO_LARGE" }));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    // The client went away mid-body: nobody will read the answer, but the call must not hang.
    const onClose = () => {
      stop();
      reject(new TRPCError({ code: "CLIENT_CLOSED_REQUEST" }));
    };
    if (req.destroyed) return onClose();
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
  });
}
