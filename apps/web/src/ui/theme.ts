/**
 * The colour theme: `system` follows the device (prefers-color-scheme), `light` and `dark` are a
 * choice kept in localStorage. The choice is the `data-theme` attribute of <html> (none for
 * `system`), set before the first paint by `THEME_SCRIPT` (app/layout.tsx) and by the switch
 * (theme-switch.tsx); globals.css picks the palette from it.
 */
export type ThemePreference = "system" | "light" | "dark";

export const THEME_PREFERENCES: readonly ThemePreference[] = ["system", "light", "dark"];
export const THEME_STORAGE_KEY = "tower.theme";
/** The header's surface colour in each theme (globals.css --surface), for the browser's bar. */
export const THEME_COLORS = { light: "#ffffff", dark: "#171b22" } as const;

const isExplicit = (value: unknown): value is "light" | "dark" => value === "light" || value === "dark";

export function readThemePreference(): ThemePreference {
  try {
    const stored = window.localStorage.getItem(THEME_STORAGE_KEY);
    return isExplicit(stored) ? stored : "system";
  } catch {
    return "system"; // storage blocked
  }
}

/**
 * The theme-color meta for a chosen theme: first in <head> and without a media query, so it wins
 * over the layout's two (one per device scheme), which stay as they are. Its colour is written in
 * upper case on purpose: React adopts an existing meta for one it renders by its exact `content`,
 * and this one must never be taken for the layout's.
 */
const CHOICE_META_ID = "theme-color-choice";

/** Applies a preference to the page: the attribute on <html>, and the meta that colours the browser's bar. */
export function applyThemePreference(preference: ThemePreference): void {
  const root = document.documentElement;
  let meta = document.getElementById(CHOICE_META_ID) as HTMLMetaElement | null;
  if (!isExplicit(preference)) {
    delete root.dataset.theme;
    meta?.remove();
    return;
  }
  root.dataset.theme = preference;
  if (!meta) {
    meta = document.createElement("meta");
    meta.id = CHOICE_META_ID;
    meta.name = "theme-color";
    document.head.prepend(meta);
  }
  meta.content = THEME_COLORS[preference].toUpperCase();
}

/**
 * `applyThemePreference` for the stored choice, as an inline script run in <head> before the body
 * paints (no flash of the other theme). The CSP allows inline scripts (src/server/security-headers.ts).
 */
export const THEME_SCRIPT = `(function(){try{var t=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});if(t!=="light"&&t!=="dark")return;document.documentElement.setAttribute("data-theme",t);var m=document.createElement("meta");m.id=${JSON.stringify(CHOICE_META_ID)};m.name="theme-color";m.content=${JSON.stringify(THEME_COLORS)}[t].toUpperCase();document.head.prepend(m)}catch(e){}})()`;
