import type { ClientRouter as AppRouter } from "@tower/api/client";
import { LIMITS, REPORT_ITEMS_HEADER, type Run } from "@tower/shared";
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  splitLink,
  wsLink,
  type TRPCClient,
} from "@trpc/client";
import NodeWebSocket from "ws";
import { AgentHandle, type AgentHandleOptions } from "./agent";
import { aloneWhenIdle } from "./alone-when-idle";
import { fetchWithStatus } from "./http-status";
import { enqueue, enqueueMany, type EnqueueManyOptions, type EnqueueOptions } from "./enqueue-many";
import { onProcessExit } from "./process-exit";
import { RETRY_UNANSWERED_MS } from "./retry-unanswered";
import { Reporter, type ReporterHooks, type ReporterOptions } from "./reporter";
import { socketCalls } from "./socket-calls";

export interface TowerClientOptions {
  /** Base URL of the Tower server, e.g. `http://localhost:3001`. */
  url: string;
  /** A project API key (`tower_…`); omit in a browser that is signed in with a session cookie. */
  apiKey?: string;
  /** WebSocket implementation; defaults to the global one, or `ws` on Node versions without it. */
  WebSocket?: typeof globalThis.WebSocket;
  /** Delay before the n-th reconnect attempt of the live connection. */
  retryDelayMs?: (attempt: number) => number;
  /**
   * How long `tasks.enqueue` and `tasks.enqueueMany` send a call again while its answer does not
   * come (Tower restarting, a connection cut; each run's idempotency key keeps it from being queued
   * twice). Default 30 s.
   */
  enqueueRetryMs?: number;
  /** Batching, buffering and retry of `event()` and `metric()` reports. */
  reporting?: ReporterOptions & ReporterHooks;
}

export interface TowerClient {
  /** The typed tRPC client: every procedure of the Tower API. */
  api: TRPCClient<AppRouter>;
  /** A handle for one running agent: `await tower.agent("scout").start()`. */
  agent(name: string, options?: AgentHandleOptions): AgentHandle;
  /** Work for agents, from any app: `tower.tasks.enqueue("index-repo", { repo: "tower" })`. */
  tasks: {
    /**
     * Queues a run of the task (by name) now, with the task's input or `input`; returns the run. A
     * call whose answer is lost is sent again with the same idempotency key (`options.idempotencyKey`,
     * or one made per call), so it never queues the run twice; if no answer comes at all, an
     * `EnqueueUnansweredError` gives the key to try again with.
     */
    enqueue(task: string, input?: Record<string, unknown>, options?: EnqueueOptions): Promise<Run>;
    /**
     * Queues a run of the task per input, in bulk (1,000 runs a call, one transaction each); returns
     * the runs' ids in the order given. If a later call fails, or no answer comes, an
     * `EnqueueManyError` says how many were queued (`queued`: their ids) and gives each input's key
     * (`idempotencyKeys`): calling again with them queues only what is missing.
     */
    enqueueMany(
      task: string,
      inputs: readonly Record<string, unknown>[],
      options?: EnqueueManyOptions,
    ): Promise<string[]>;
  };
  /** The report queue: `pending`, `dropped`, and `flush()`. */
  reporter: Reporter;
  /** Delivers buffered reports, ends every running agent's session and closes the live connection. */
  shutdown(): Promise<void>;
  /** Closes the live connection; pending HTTP calls still finish. */
  close(): void;
}

/** The number of items in an `ingest.report` input (the reporter's own batches: `{ items: [...] }`). */
const reportCount = (input: unknown) => (input as { items: unknown[] }).items.length;

function urlOf(value: unknown): URL | null {
  if (typeof value !== "string") return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * The API's HTTP and WebSocket addresses under Tower's `url`, kept under its path when it has one
 * (Tower behind a proxy at `https://corp.example/tower`); a `url` already ending in `/trpc` is
 * taken as the API itself.
 */
function endpoints(base: unknown) {
  const root = urlOf(base);
  if (!root || (root.protocol !== "http:" && root.protocol !== "https:")) {
    throw new TypeError(
      `createTowerClient: url must be Tower's address with http:// or https://, like "http://localhost:3001" (got ${JSON.stringify(base) ?? String(base)})`,
    );
  }
  const path = root.pathname.replace(/\/+$/, "").replace(/\/trpc$/, "");
  const http = new URL(`${path}/trpc`, root.origin);
  const ws = new URL(http);
  ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
  return { http: http.toString(), ws: ws.toString() };
}

/**
 * Queries and mutations go over HTTP, a lone call at once and calls made meanwhile batched (see
 * alone-when-idle.ts); subscriptions over one lazily opened WebSocket that reconnects by itself and
 * resumes every subscription from the last event it received; a running agent's policy checks and
 * its runs' reports over that WebSocket (see socket-calls.ts).
 */
export function createTowerClient(options: TowerClientOptions): TowerClient {
  const urls = endpoints(options.url);
  // An empty key (an environment variable set to nothing) would reach Tower as no key at all, and
  // be told to sign in: said here, naming the option.
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey.trim() === "")) {
    throw new TypeError(
      "createTowerClient: apiKey is empty; pass a project API key (Settings → API keys), or leave it out in a signed-in browser",
    );
  }
  const enqueueRetryMs = options.enqueueRetryMs ?? RETRY_UNANSWERED_MS;
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const wsClient = createWSClient({
    url: urls.ws,
    WebSocket: options.WebSocket ?? globalThis.WebSocket ?? (NodeWebSocket as unknown as typeof globalThis.WebSocket),
    connectionParams: options.apiKey ? { apiKey: options.apiKey } : undefined,
    lazy: { enabled: true, closeMs: 0 },
    retryDelayMs: options.retryDelayMs ?? ((attempt) => Math.min(500 * 2 ** attempt, 10_000)),
  });
  const running = new Set<AgentHandle>();
  // Only while an agent runs or works: its kill switch or its runs keep the socket open. Otherwise
  // the socket is open just for a moment (an approval's wait ending, say) and tRPC's client, which
  // knows nothing of the calls sent on it, would close it under them.
  const onSocket = socketCalls(() =>
    running.size > 0 && wsClient.connection?.state === "open" ? wsClient.connection.ws : null,
  );
  const overHttp = aloneWhenIdle(
    httpLink({ url: urls.http, headers, fetch: fetchWithStatus }),
    httpBatchLink({ url: urls.http, headers, maxItems: LIMITS.batchSize, fetch: fetchWithStatus }),
  );
  const api = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription" || onSocket.takes(op),
        true: [onSocket.link(overHttp), wsLink({ client: wsClient })],
        false: splitLink({
          // A batch of reports is a request of its own: batched with other calls it would wait for
          // them, and two report batches in flight at once would travel, and be answered, as one.
          condition: (op) => op.path === "ingest.report",
          true: httpLink({
            url: urls.http,
            // The item count lets the server hand the batch to its ingest thread unparsed.
            headers: ({ op }) => ({ ...headers, [REPORT_ITEMS_HEADER]: String(reportCount(op.input)) }),
            fetch: fetchWithStatus,
          }),
          false: overHttp,
        }),
      }),
    ],
  });
  const handles = new Map<string, AgentHandle>();
  const reporter = new Reporter(api, options.reporting, {
    ...options.reporting,
    onResult: (result, batch) => {
      const over = new Set(result.overBudget);
      for (const name of new Set(batch.map((item) => item.agent))) handles.get(name)?.setOverBudget(over.has(name));
      options.reporting?.onResult?.(result, batch);
    },
  });
  let closed = false;
  const close = () => {
    closed = true;
    return wsClient.close();
  };
  const shutdown = async (reason: "stopped" | "process_exit" = "stopped") => {
    await reporter.flush().catch(() => {});
    // What Tower could not take by now is lost with this client: counted and said, not silent.
    reporter.abandon("Tower could not be reached before the client shut down");
    await Promise.allSettled([...running].map((handle) => handle.stop(reason)));
    await close();
  };
  const stopWatchingExit = onProcessExit(() => shutdown("process_exit"));
  return {
    api,
    reporter,
    agent: (name, agentOptions) => {
      const handle = new AgentHandle(
        api,
        name,
        agentOptions,
        (h, isRunning) => (isRunning ? running.add(h) : running.delete(h)),
        (item) => reporter.add(item),
        () => closed,
      );
      handles.set(name, handle);
      return handle;
    },
    tasks: {
      enqueue: (task, input, enqueueOptions = {}) => enqueue(api, task, input, enqueueOptions, enqueueRetryMs),
      enqueueMany: (task, inputs, enqueueOptions = {}) =>
        enqueueMany(api, task, inputs, enqueueOptions, enqueueRetryMs),
    },
    shutdown: async () => {
      stopWatchingExit();
      await shutdown();
    },
    close: () => void close(),
  };
}
