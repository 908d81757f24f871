"use client";
import { useConnectionStatus } from "~/lib/connection";

/** Whether the browser is offline (the live badge says "Offline"): the page shows its last known state. */
export function useOffline(): boolean {
  return useConnectionStatus() === "offline";
}
