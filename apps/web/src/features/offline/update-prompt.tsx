"use client";
import { useEffect, useState } from "react";
import { registerServiceWorker } from "./service-worker";

/**
 * Registers the service worker; when a new version of Tower has installed, offers to reload into it.
 * Until then the page keeps running the version it loaded (never half-updated).
 */
export function UpdatePrompt() {
  const [apply, setApply] = useState<(() => void) | null>(null);
  useEffect(() => registerServiceWorker((next) => setApply(() => next)), []);
  if (!apply) return null;
  return (
    <div className="update-prompt" role="status">
      <span>A new version of Tower is ready.</span>
      <button type="button" onClick={apply}>
        Reload
      </button>
    </div>
  );
}
