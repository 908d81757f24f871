/**
 * What a push from Tower shows (the server's payload: packages/api/src/push). A payload that cannot
 * be read still shows a notification: a push must never stay silent.
 */
export interface TowerPush {
  kind?: string;
  title?: string;
  body?: string;
  /** A path in the dashboard: `/approve/<id>` for an approval, `/agents/<id>` for an agent. */
  url?: string;
  approvalId?: string;
  /** The push's topic: one per approval, or per agent and kind. */
  tag?: string;
}

const FALLBACK = { title: "Tower", body: "Something needs your attention.", url: "/approvals" };

function read(data: { json(): unknown } | null): TowerPush {
  try {
    const value = data?.json();
    return value && typeof value === "object" ? (value as TowerPush) : {};
  } catch {
    return {};
  }
}

/** Only a path of this origin: a payload never sends the tap elsewhere. */
export function targetUrl(data: unknown, origin: string): string {
  const url = (data as { url?: unknown } | null)?.url;
  if (typeof url !== "string") return new URL(FALLBACK.url, origin).href;
  const target = new URL(url, origin);
  return target.origin === origin ? target.href : new URL(FALLBACK.url, origin).href;
}

export function notificationOf(data: { json(): unknown } | null, origin: string) {
  const push = read(data);
  const title = push.title || FALLBACK.title;
  const options: NotificationOptions = {
    body: push.body || FALLBACK.body,
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    // One notification per approval (or per agent and kind): a re-send replaces it.
    tag: push.tag ?? push.approvalId ?? push.kind ?? "tower",
    data: { url: targetUrl(push, origin) },
    // An approval waits for a person: keep it on screen until they act on it.
    requireInteraction: push.kind === "approval",
  };
  return { title, options };
}
