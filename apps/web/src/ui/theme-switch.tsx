"use client";
import { useSyncExternalStore } from "react";
import {
  applyThemePreference,
  readThemePreference,
  THEME_PREFERENCES,
  THEME_STORAGE_KEY,
  type ThemePreference,
} from "./theme";

const LABELS: Record<ThemePreference, string> = { system: "System", light: "Light", dark: "Dark" };

const listeners = new Set<() => void>();

/** Follows the stored choice, in this tab and (through the storage event) in the others. */
function subscribe(onChange: () => void) {
  const onStorage = (event: StorageEvent) => {
    if (event.key !== THEME_STORAGE_KEY && event.key !== null) return;
    applyThemePreference(readThemePreference());
    onChange();
  };
  listeners.add(onChange);
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener("storage", onStorage);
  };
}

function choose(preference: ThemePreference) {
  try {
    if (preference === "system") window.localStorage.removeItem(THEME_STORAGE_KEY);
    else window.localStorage.setItem(THEME_STORAGE_KEY, preference);
  } catch {
    // Storage blocked: the choice lasts until the page is reloaded.
  }
  applyThemePreference(preference);
  for (const listener of listeners) listener();
}

/** System, light or dark: a labelled group of radio buttons (arrow keys move between them). */
export function ThemeSwitch() {
  const current = useSyncExternalStore(subscribe, readThemePreference, () => "system" as const);
  return (
    <fieldset className="theme-switch">
      <legend>Theme</legend>
      {THEME_PREFERENCES.map((preference) => (
        <label key={preference}>
          <input
            type="radio"
            name="theme"
            value={preference}
            checked={current === preference}
            onChange={() => choose(preference)}
          />
          {LABELS[preference]}
        </label>
      ))}
    </fieldset>
  );
}
