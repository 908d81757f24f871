import type { Metadata } from "next";
import { OfflinePage } from "~/features/offline/offline-page";

export const metadata: Metadata = { title: "Offline" };

/** What the service worker shows for a page this device never opened while online. */
export default function OfflineRoute() {
  return <OfflinePage />;
}
