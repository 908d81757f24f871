import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyRouter } from "@trpc/server";
import {
  getErrorShape,
  getHTTPStatusCodeFromError,
  getProcedureAtPath,
  getTRPCErrorFromUnknown,
  transformTRPCResponse,
  type TRPCError,
} from "@trpc/server/unstable-core-do-not-import";

interface SingleQueryOptions<TContext> {
  router: AnyRouter;
  createContext(opts: { req: IncomingMessage; res: ServerResponse }): TContext;
  onError(opts: { error: TRPCError; path: string }): void;
}

/**
 * tRPC's Node adapter turns every request into a Fetch `Request` and `Response` (web streams,
 * abort signals), which costs several times what a small query itself does. The commonest call —
 * one unbatched GET query with a JSON input — is answered here through tRPC's own procedure,
 * error shape and status mapping, so the answer is the adapter's byte for byte. Anything else
 * (batches, streaming, subscriptions, mutations, input that does not parse) returns false and goes
 * to the adapter, which also owns every error about the request itself.
 */
export function createSingleQueryHandler<TContext>(opts: SingleQueryOptions<TContext>) {
  const config = opts.router._def._config;
  return async (req: IncomingMessage, res: ServerResponse, url: string, basePath: string): Promise<boolean> => {
    if (req.method !== "GET" || req.headers["trpc-accept"] !== undefined) return false;
    const query = url.indexOf("?");
    const path = decodeURIComponent(url.slice(basePath.length, query < 0 ? undefined : query));
    if (path.includes(",")) return false;
    const params = new URLSearchParams(query < 0 ? "" : url.slice(query + 1));
    if (params.has("batch")) return false;
    const procedure = await getProcedureAtPath(opts.router, path);
    if (!procedure || procedure._def.type !== "query") return false;
    const rawInput = params.get("input");
    let input: unknown;
    try {
      input = rawInput === null ? undefined : JSON.parse(rawInput);
    } catch {
      return false;
    }

    let ctx: TContext | undefined;
    let body: unknown;
    let status = 200;
    try {
      ctx = opts.createContext({ req, res });
      const data: unknown = await procedure({
        path,
        getRawInput: async () => input,
        ctx,
        type: "query",
        signal: undefined,
        batchIndex: 0,
      });
      body = { result: { data } };
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      opts.onError({ error, path });
      status = getHTTPStatusCodeFromError(error);
      body = { error: getErrorShape({ config, ctx, error, input, path, type: "query" }) };
    }
    const json = JSON.stringify(transformTRPCResponse(config, body as never));
    res.writeHead(status, { vary: "trpc-accept, accept", "content-type": "application/json" });
    res.end(json);
    return true;
  };
}
