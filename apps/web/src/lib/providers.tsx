"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createWSClient, httpBatchLink, splitLink, wsLink } from "@trpc/client";
import { useEffect, useState, type ReactNode } from "react";
import { ConnectionContext, createRetryDelay, watchConnection, type ConnectionStatus } from "./connection";
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
    },
  });
}

function makeBrowserClients() {
  const retryDelay = createRetryDelay();
  const ws = createWSClient({
    url: wsUrl,
    retryDelayMs: retryDelay,
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
  return { ws, retryDelay, queryClient: makeQueryClient(), trpcClient };
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

export function Providers({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [clients] = useState(getClients);
  const { queryClient } = clients;

  useEffect(() => {
    const { ws, retryDelay } = clients;
    if (!ws || !retryDelay) return;
    return watchConnection(ws, retryDelay, setStatus);
  }, [clients]);

  return (
    <trpc.Provider client={clients.trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <ConnectionContext.Provider value={status}>{children}</ConnectionContext.Provider>
      </QueryClientProvider>
    </trpc.Provider>
  );
}
