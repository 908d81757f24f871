"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createWSClient, httpBatchLink, splitLink, wsLink } from "@trpc/client";
import { useEffect, useState, type ReactNode } from "react";
import { ConnectionContext, type ConnectionStatus } from "./connection";
import { trpc } from "./trpc";

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/trpc`;
}

/** 0.5 s, 1 s, 2 s … capped at 15 s, with jitter so a fleet of tabs does not reconnect in step. */
const backoff = (attempt: number) => Math.min(500 * 2 ** attempt, 15_000) * (0.75 + Math.random() * 0.5);

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
    },
  });
}

function makeBrowserClients() {
  const ws = createWSClient({
    url: wsUrl,
    retryDelayMs: backoff,
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
  });
  const trpcClient = trpc.createClient({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: ws }),
        false: httpBatchLink({ url: "/trpc", maxItems: 100 }),
      }),
    ],
  });
  return { ws, queryClient: makeQueryClient(), trpcClient };
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
      queryClient: makeQueryClient(),
      trpcClient: trpc.createClient({ links: [httpBatchLink({ url: "http://localhost/trpc" })] }),
    };
  }
  return (browserClients ??= makeBrowserClients());
}

export function Providers({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [clients] = useState(getClients);
  const { queryClient } = clients;

  useEffect(() => {
    const ws = clients.ws;
    if (!ws) return;
    let everConnected = false;
    const sub = ws.connectionState.subscribe({
      next(state) {
        if (state.state === "pending") {
          everConnected = true;
          setStatus("connected");
        } else if (state.state === "connecting") {
          setStatus(
            state.error
              ? typeof navigator !== "undefined" && !navigator.onLine
                ? "offline"
                : "reconnecting"
              : everConnected
                ? "reconnecting"
                : "connecting",
          );
        } else setStatus("offline");
      },
    });
    const goOffline = () => setStatus("offline");
    window.addEventListener("offline", goOffline);
    return () => {
      sub.unsubscribe();
      window.removeEventListener("offline", goOffline);
    };
  }, [clients.ws]);

  return (
    <trpc.Provider client={clients.trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <ConnectionContext.Provider value={status}>{children}</ConnectionContext.Provider>
      </QueryClientProvider>
    </trpc.Provider>
  );
}
