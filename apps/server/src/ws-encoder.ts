import { SharedJson } from "@tower/api";
import { LIMITS } from "@tower/shared";
import { jsonEncoder, type Encoder } from "@trpc/server/adapters/ws";
import WebSocket from "ws";
import { oversizedBatchAnswers } from "./ws-batch-limit";

// A string no value can contain unescaped; it marks where the shared JSON goes.
const MARK = "\u0000tower-shared\u0000";
const MARK_JSON = JSON.stringify(MARK);

/**
 * A shared payload's finished messages, by envelope. Clients number their subscriptions alike, so
 * most sockets share one envelope and thus one encoded message: no per-socket UTF-8 copy.
 */
const messages = new WeakMap<SharedJson<unknown>, Map<string, Buffer<ArrayBuffer>>>();
const MAX_ENVELOPES = 64;

/**
 * tRPC's JSON wire format, except that a subscription payload wrapped in `SharedJson` is spliced
 * in from its cached serialisation: a batch fanned out to 1,000 dashboards is stringified once,
 * and encoded once per distinct envelope (handed over as bytes; `TextWebSocket` sends them as text).
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
    let encoded = messages.get(shared);
    if (!encoded) messages.set(shared, (encoded = new Map()));
    let bytes = encoded.get(envelope);
    if (!bytes) {
      bytes = Buffer.from(envelope.replace(MARK_JSON, () => shared.json));
      if (encoded.size < MAX_ENVELOPES) encoded.set(envelope, bytes);
    }
    return bytes;
  },
  decode(data) {
    const message: unknown = jsonEncoder.decode(data);
    // As an HTTP batch: tRPC's adapter would otherwise start every call of the message at once.
    // (TextWebSocket answers such a message call by call before it gets here; this is the backstop.)
    if (Array.isArray(message) && message.length > LIMITS.wsCallsPerMessage) {
      throw new Error(
        `A WebSocket message may carry at most ${LIMITS.wsCallsPerMessage} calls; this one has ${message.length}`,
      );
    }
    return message;
  },
};

/** Close code for a client cut off for not reading what it is sent (4000–4999 are the application's). */
export const SLOW_CONSUMER_CLOSE = 4008;
/**
 * How long a cut-off client has to take the close frame, which waits behind the data it is not
 * reading, before its socket is destroyed and that data freed (ws alone would wait 30 s).
 */
const SLOW_CONSUMER_GRACE_MS = 1_000;

/**
 * A server socket whose every message is a text frame (Tower speaks JSON, also when it is bytes),
 * and which cuts off a client that stops reading: a message for it finding more than
 * `LIMITS.wsBufferedBytes` still unread closes it with `SLOW_CONSUMER_CLOSE` instead of queueing
 * behind, and it emits `slow-consumer`. Its client reconnects and resumes from the last event it
 * read, while everyone else's stream goes on. Checked before each send, so one large message (an
 * audit batch can be megabytes) never cuts a reading client off by itself; a socket holds at most
 * the bound plus one message.
 */
export class TextWebSocket extends WebSocket {
  /** A message of too many calls is answered here, call by call, and never reaches tRPC. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // Text frames arrive as one Buffer (ws joins fragments); tRPC reads binary ones as they are.
    if (event === "message" && args[1] === false && Buffer.isBuffer(args[0]) && this.#answerOversizedBatch(args[0]))
      return true;
    return super.emit(event, ...args);
  }

  #answerOversizedBatch(data: Buffer): boolean {
    const answers = oversizedBatchAnswers(data);
    if (answers === null) return false;
    if (answers === "close") {
      this.close(1008, `Too many calls in one message (at most ${LIMITS.wsCallsPerMessage})`);
      return true;
    }
    for (const answer of answers) this.send(answer);
    return true;
  }

  override send(data: Parameters<WebSocket["send"]>[0], options?: unknown, callback?: unknown): void {
    // Once closing, ws counts what is sent but queues none of it.
    if (this.bufferedAmount > LIMITS.wsBufferedBytes && this.readyState === WebSocket.OPEN) this.#cutOff();
    if (typeof options === "function") return super.send(data, { binary: false }, options as () => void);
    return super.send(data, { ...(options as object), binary: false }, callback as (() => void) | undefined);
  }

  #cutOff() {
    const unread = this.bufferedAmount;
    this.close(
      SLOW_CONSUMER_CLOSE,
      `Too slow: over ${LIMITS.wsBufferedBytes / 1_048_576} MiB unread; reconnect and resume from lastEventId`,
    );
    setTimeout(() => this.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
    this.emit("slow-consumer", unread);
  }
}
