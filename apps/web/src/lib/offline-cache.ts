import { dehydrate, hydrate, type DehydratedState, type Query, type QueryClient } from "@tanstack/react-query";
import { createStore, del, get, set, type UseStore } from "idb-keyval";

/**
 * The last known state, kept on the device: the signed-in pages' query cache (what Tower last sent,
 * live updates included, since they are written into the cache) saved to IndexedDB, and put back
 * when a page opens, so Overview, Agents, Approvals and an agent's page show it offline. One copy
 * per browser profile, holding the signed-in user's data of every project they opened (queries are
 * keyed by project); forgotten when they sign out (see `forgetOfflineState`). Written by hand on
 * TanStack Query's own `dehydrate`/`hydrate`: its persister package pins another copy of the query
 * core into the bundle (docs/decisions/pwa-offline-and-service-worker.md).
 */

/** Bumped when what is saved changes shape, so an old copy is dropped rather than misread. */
const FORMAT = 1;
/** Older than this, the saved state is not shown: a week-old fleet is no longer "the last state". */
const MAX_AGE_MS = 7 * 24 * 3600_000;
/** Saves at most this often while data keeps arriving (live updates land many times a second). */
const SAVE_EVERY_MS = 1_000;
const KEY = "queries";

interface Saved {
  format: number;
  savedAt: number;
  state: DehydratedState;
}

let store: UseStore | undefined;
const db = () => (store ??= createStore("tower", "offline-state"));
const available = () => typeof indexedDB !== "undefined";

/** A query of `auth.me` (tRPC's key: [["auth", "me"], …]). */
const isMe = (query: Query) => (query.queryKey[0] as string[] | undefined)?.join(".") === "auth.me";

/** Whether the cache holds a signed-in user (`auth.me` answered with one). */
function signedIn(client: QueryClient): boolean {
  const me = client.getQueryCache().findAll().find(isMe)?.state.data as { user?: unknown } | undefined;
  return Boolean(me?.user);
}

/** Puts the saved state into the cache; resolves once done (nothing saved, or unreadable: nothing). */
export async function restoreOfflineState(client: QueryClient): Promise<void> {
  if (!available()) return;
  try {
    const saved = await get<Saved>(KEY, db());
    if (!saved || saved.format !== FORMAT || Date.now() - saved.savedAt > MAX_AGE_MS) return;
    hydrate(client, saved.state);
    // Shown at once, but never taken as fresh: every restored query is asked again as soon as a
    // page uses it and the network is there (a session ended meanwhile must not look signed in).
    void client.invalidateQueries({ refetchType: "none" });
  } catch {
    // A private window or a full disk: the pages load from the network as they did without it.
  }
}

/**
 * Saves the cache whenever a query gets data (at most once a second, and when the page is hidden or left):
 * successful queries only, and only while a user is signed in, so a signed-out page never writes
 * anyone's data. Returns a function that stops saving.
 */
export function keepOfflineState(client: QueryClient): () => void {
  if (!available()) return () => undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!signedIn(client)) return;
    const state = dehydrate(client, { shouldDehydrateQuery: (query) => query.state.status === "success" });
    void set(KEY, { format: FORMAT, savedAt: Date.now(), state } satisfies Saved, db()).catch(() => undefined);
  };
  const unsubscribe = client.getQueryCache().subscribe((event) => {
    if (event.type === "updated" && event.action.type === "success") timer ??= setTimeout(save, SAVE_EVERY_MS);
  });
  // Leaving the page (a reload, closing the tab) saves what is still waiting.
  const onHidden = () => {
    if (document.visibilityState === "hidden" && timer !== undefined) save();
  };
  const onLeave = () => {
    if (timer !== undefined) save();
  };
  document.addEventListener("visibilitychange", onHidden);
  window.addEventListener("pagehide", onLeave);
  return () => {
    unsubscribe();
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onHidden);
    window.removeEventListener("pagehide", onLeave);
  };
}

/** Forgets the saved state (signing out, or a sign-in page: whoever signs in next starts clean). */
export async function forgetOfflineState(): Promise<void> {
  if (!available()) return;
  await del(KEY, db()).catch(() => undefined);
}

/** When the data on screen last came from Tower: the newest of the cached queries' update times. */
export function lastUpdatedAt(client: QueryClient): number | null {
  let newest = 0;
  for (const query of client.getQueryCache().findAll()) newest = Math.max(newest, query.state.dataUpdatedAt);
  return newest > 0 ? newest : null;
}
