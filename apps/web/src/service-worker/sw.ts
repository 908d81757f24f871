/// <reference lib="webworker" />
import {
  ExpirationPlugin,
  NetworkFirst,
  NetworkOnly,
  Serwist,
  type PrecacheEntry,
  type SerwistGlobalConfig,
  type SerwistPlugin,
} from "serwist";
import { notificationOf, targetUrl } from "./push-notification";

/**
 * Tower's service worker (built by `serwist build` after `next build`: serwist.config.js). The app's
 * shell — every static page's HTML, the scripts, styles and icons of this build — is precached as
 * one version, so a page is never half old and half new; the last known data is not here but in
 * IndexedDB (src/lib/offline-cache.ts). The API is never cached. A new version waits until the page
 * asks it to take over ("new version, reload"), or until every tab of the old one is closed.
 */
declare global {
  interface WorkerGlobalScope extends SerwistGlobalConfig {
    __SW_MANIFEST: (PrecacheEntry | string)[] | undefined;
  }
}
declare const self: ServiceWorkerGlobalScope;

const WEEK_SECONDS = 7 * 24 * 3600;
/** The page shown for a route this device never opened (an agent's page it never visited). */
const OFFLINE_PAGE = "/offline";

/**
 * Offline, a navigation gets the precached page of its path, query aside (`/agents?status=busy`
 * is the Agents page: filters live in the URL and the page reads them), else the offline page.
 */
const pageOfPath: SerwistPlugin = {
  handlerDidError: async ({ request }) =>
    (await serwist.matchPrecache(new URL(request.url).pathname)) ?? (await serwist.matchPrecache(OFFLINE_PAGE)),
};

/** A page's HTML is the same whatever its query (the page reads filters from the URL itself). */
const pageKey = (url: string) => new URL(new URL(url).pathname, url).href;

/** Pages cached by path alone, so `/agents/<id>?project=…` offline finds the copy kept online. */
const byPath: SerwistPlugin = {
  cacheKeyWillBeUsed: async ({ request }) => pageKey(request.url),
};

/** Pages not precached (an agent's page, a page with a query): the network, else the last copy. */
const pages = new NetworkFirst({
  cacheName: "pages",
  networkTimeoutSeconds: 3,
  plugins: [new ExpirationPlugin({ maxEntries: 64, maxAgeSeconds: WEEK_SECONDS }), byPath, pageOfPath],
});

/**
 * A page opened by a link (client-side navigation fetches only its RSC payload) is also kept as
 * HTML, so that reopening it offline (a reload, the installed app) finds it. Only for pages that
 * are not precached (an agent's page), and not for prefetches (a list prefetches every link it shows).
 */
const keepPageToo: SerwistPlugin = {
  fetchDidSucceed: async ({ request, response, event }) => {
    const key = pageKey(request.url);
    const prefetch = request.headers.get("Next-Router-Prefetch") === "1";
    if (response.ok && !prefetch && !(await serwist.matchPrecache(new URL(key).pathname))) {
      event.waitUntil(pages.handle({ event, request: new Request(key, { credentials: "same-origin" }) }));
    }
    return response;
  },
};

const serwist = new Serwist({
  precacheEntries: self.__SW_MANIFEST,
  precacheOptions: { cleanupOutdatedCaches: true },
  skipWaiting: false,
  // The first install controls the open page at once (there is no older version to wait for).
  clientsClaim: true,
  navigationPreload: false,
  runtimeCaching: [
    // The API: answers belong to a user and a moment; offline state is the data layer's, not a cache's.
    {
      matcher: ({ url, sameOrigin }) => sameOrigin && (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")),
      handler: new NetworkOnly(),
    },
    // A page's React Server Components payload (client-side navigation): the network, else the last one.
    {
      matcher: ({ request, sameOrigin }) => sameOrigin && request.headers.get("RSC") === "1",
      handler: new NetworkFirst({
        cacheName: "pages-rsc",
        networkTimeoutSeconds: 3,
        plugins: [new ExpirationPlugin({ maxEntries: 64, maxAgeSeconds: WEEK_SECONDS }), keepPageToo],
      }),
    },
    { matcher: ({ request, sameOrigin }) => sameOrigin && request.mode === "navigate", handler: pages },
  ],
});

/** The page's "reload" on the new-version prompt (src/features/offline/service-worker.ts). */
self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});

// Every push shows a notification: browsers revoke subscriptions whose pushes stay silent.
self.addEventListener("push", (event) => {
  const { title, options } = notificationOf(event.data, self.location.origin);
  event.waitUntil(self.registration.showNotification(title, options));
});

/** A tap opens the notification's page (an approval's one-tap page) in a Tower tab, or a new one. */
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = targetUrl(event.notification.data, self.location.origin);
  event.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = tabs.find((client) => new URL(client.url).origin === self.location.origin);
      if (tab) {
        await tab.navigate(url);
        await tab.focus().catch(() => undefined); // a browser may refuse focus; the tab is on the page anyway
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});

serwist.addEventListeners();
