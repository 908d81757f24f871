import { PRODUCTION_BUILD } from "~/lib/env";

/**
 * Registers the service worker (public/sw.js, built from src/service-worker/sw.ts) in production,
 * and reports a new version once it has installed and waits: `apply` asks it to take over, and the
 * page reloads when it has, so no page runs half on the old version and half on the new.
 */
export function registerServiceWorker(onUpdate: (apply: () => void) => void): void {
  // Not in development: a worker precaching one build would serve its pages to the next.
  if (!PRODUCTION_BUILD || !("serviceWorker" in navigator)) return;
  let reloading = false;
  const offer = (waiting: ServiceWorker) =>
    onUpdate(() => {
      navigator.serviceWorker.addEventListener("controllerchange", () => {
        if (reloading) return;
        reloading = true;
        window.location.reload();
      });
      waiting.postMessage({ type: "SKIP_WAITING" });
    });
  void navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then((registration) => {
      // A version that installed while no tab asked it to take over (another tab ignored the prompt).
      if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
      registration.addEventListener("updatefound", () => {
        const installing = registration.installing;
        installing?.addEventListener("statechange", () => {
          // "installed" with a controller: a new version waits (on first install there is none).
          if (installing.state === "installed" && navigator.serviceWorker.controller) offer(installing);
        });
      });
      // A tab left open for days still learns of new versions.
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") void registration.update().catch(() => undefined);
      });
    })
    .catch(() => {
      // No service worker (a private window, an insecure origin): the dashboard works online as before.
    });
}
