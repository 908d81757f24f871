"use client";
import { IsRestoringProvider, onlineManager, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createWSClient, httpBatchLink, splitLink, wsLink } from "@trpc/client";
import { getQueryKey } from "@trpc/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { ConnectionContext, createRetryDelay, watchConnection, type ConnectionStatus } from "./connection";
import { forgetOfflineState, keepOfflineState, restoreOfflineState } from "./offline-cache";
import { streamEndLink } from "./stream-end-link";
import { trpc } from "./trpc";

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/trpc`;
}

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => {
          const code = (error as { data?: { code?: string } }).data?.code;
          if (code && ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST"].includes(code)) return false;
          return count < 2;
        },
      },
      // Offline a change fails at once with its error: never queued to run later, unseen.
      mutations: { networkMode: "always" },
    },
  });
}

function makeBrowserClients() {
  // TanStack Query assumes it is online until the browser says otherwise; a page opened offline
  // must pause its queries (and show what the cache holds), not fail them.
  onlineManager.setOnline(navigator.onLine);
  const retryDelay = createRetryDelay();
  const ws = createWSClient({
    url: wsUrl,
    retryDelayMs: retryDelay,
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
  });
  const queryClient = makeQueryClient();
  // A stream the server ended (signed out, removed): ask again who is signed in; the shell follows.
  const whoAmI = () => void queryClient.invalidateQueries({ queryKey: getQueryKey(trpc.auth.me) });
  const trpcClient = trpc.createClient({
    links: [
      streamEndLink(whoAmI),
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: ws }),
        false: httpBatchLink({ url: "/trpc", maxItems: 100 }),
      }),
    ],
  });
  return { ws, retryDelay, queryClient, trpcClient };
}

/**
 * One cache and one WebSocket per page, made on first use. Not in a `useState` initializer: React
 * runs a component's first render again, initializers included, each time that render is thrown
 * away before it commits (it is when something below suspends during hydration), and every run
 * would open another WebSocket that nothing ever closes.
 */
let browserClients: ReturnType<typeof makeBrowserClients> | undefined;

function getClients() {
  if (typeof window === "undefined") {
    // Server render: pages are client components that fetch after hydration.
    return {
      ws: null,
      retryDelay: null,
      queryClient: makeQueryClient(),
      trpcClient: trpc.createClient({ links: [httpBatchLink({ url: "http://localhost/trpc" })] }),
    };
  }
  return (browserClients ??= makeBrowserClients());
}

/**
 * The data layer. `offline="keep"` (the signed-in pages): the last known state is put back from the
 * device before queries run and saved as data arrives (lib/offline-cache.ts). Otherwise (sign-in
 * pages) the saved state is forgotten: whoever signs in next starts clean.
 */
export function Providers({ children, offline = "forget" }: { children: ReactNode; offline?: "keep" | "forget" }) {
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [clients] = useState(getClients);
  const [restoring, setRestoring] = useState(offline === "keep");
  const { queryClient } = clients;

  useEffect(() => {
    const { ws, retryDelay } = clients;
    if (!ws || !retryDelay) return;
    return watchConnection(ws, retryDelay, setStatus);
  }, [clients]);

  useEffect(() => {
    if (offline === "forget") return void forgetOfflineState();
    let stop: (() => void) | undefined;
    let cancelled = false;
    void restoreOfflineState(queryClient).then(() => {
      if (cancelled) return;
      setRestoring(false);
      stop = keepOfflineState(queryClient);
    });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [offline, queryClient]);

  return (
    <trpc.Provider client={clients.trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <IsRestoringProvider value={restoring}>
          <ConnectionContext.Provider value={status}>{children}</ConnectionContext.Provider>
        </IsRestoringProvider>
      </QueryClientProvider>
    </trpc.Provider>
  );
}
