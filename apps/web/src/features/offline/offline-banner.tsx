"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { lastUpdatedAt } from "~/lib/offline-cache";
import { useOffline } from "./use-offline";
// Here, not in the folder's index: a barrel's own CSS import was dropped from the build (its
// exports are all that is used of it), and with it the page-controls wrapper's "no box" rule.
import "./offline.css";

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });

/**
 * Offline, above every signed-in page: what is shown is the last state Tower sent (kept on this
 * device), as of when, and why the buttons are off. Gone as soon as the connection is back.
 */
export function OfflineBanner() {
  const offline = useOffline();
  const client = useQueryClient();
  // Taken when the page goes offline: nothing new arrives until it is back.
  const updatedAt = useMemo(() => (offline ? lastUpdatedAt(client) : null), [offline, client]);
  if (!offline) return null;
  return (
    <div className="offline-banner" role="status" data-testid="offline-banner">
      <strong>Offline</strong>
      {updatedAt ? <>, last updated {time(updatedAt)}</> : <>, nothing saved on this device yet</>}
      <span className="offline-banner-detail">
        . You are seeing the last state Tower sent; changes are off until the connection is back.
      </span>
    </div>
  );
}
