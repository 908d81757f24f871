"use client";
import { useEffect, useState } from "react";
import { isAppleMobile, isStandalone } from "./platform";

/** Chromium's install offer (not in the DOM typings: it is not a web standard). */
interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: "accepted" | "dismissed" }>;
}

let offered: InstallPromptEvent | null = null;
const listeners = new Set<() => void>();
if (typeof window !== "undefined") {
  // Kept from the moment this module loads: the browser offers once per page load.
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    offered = event as InstallPromptEvent;
    listeners.forEach((notify) => notify());
  });
  window.addEventListener("appinstalled", () => {
    offered = null;
    listeners.forEach((notify) => notify());
  });
}

/**
 * "Install Tower" where the browser offers installing (Chromium on desktop and Android); on an
 * iPhone or iPad, which has no such offer, how to add it to the Home Screen and why (notifications
 * need the installed app). Nothing once installed.
 */
export function InstallButton() {
  const [, rerender] = useState(0);
  const [ios, setIos] = useState(false);
  useEffect(() => {
    const notify = () => rerender((n) => n + 1);
    listeners.add(notify);
    setIos(isAppleMobile() && !isStandalone());
    return () => void listeners.delete(notify);
  }, []);

  if (offered) {
    const prompt = offered;
    return (
      <button
        type="button"
        onClick={() => {
          offered = null;
          void prompt.prompt();
          listeners.forEach((notify) => notify());
        }}
      >
        Install Tower
      </button>
    );
  }
  if (!ios) return null;
  return (
    <p className="muted install-note">
      Install on iPhone or iPad: tap Share, then <strong>Add to Home Screen</strong>. Notifications need iOS 16.4 or
      later and Tower opened from the Home Screen.
    </p>
  );
}
