import { SharedJson } from "@tower/api";
import { jsonEncoder, type Encoder } from "@trpc/server/adapters/ws";

// A string no value can contain unescaped; it marks where the shared JSON goes.
const MARK = "\u0000tower-shared\u0000";
const MARK_JSON = JSON.stringify(MARK);

/**
 * tRPC's JSON wire format, except that a subscription payload wrapped in `SharedJson` is spliced
 * in from its cached serialisation: a batch fanned out to 1,000 dashboards is stringified once.
 */
export const wsEncoder: Encoder = {
  encode(message) {
    const result = (message as { result?: { data?: unknown } }).result;
    const data = result?.data;
    // A tracked item arrives as `{ id, data }`; a plain one as the value itself.
    const tracked = data !== null && typeof data === "object" && "data" in data ? (data as { data: unknown }) : null;
    const shared = data instanceof SharedJson ? data : tracked?.data instanceof SharedJson ? tracked.data : null;
    if (!shared) return jsonEncoder.encode(message);
    const marked = shared === data ? MARK : { ...tracked, data: MARK };
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: marked } });
    return envelope.replace(MARK_JSON, () => shared.json);
  },
  decode: jsonEncoder.decode,
};
