import { useEffect, useRef } from "react";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** The elements Tab stops at inside `root`, in order (those hidden by CSS are skipped). */
function tabStops(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/**
 * A `<dialog>` shown as a modal while the component is mounted: the rest of the page is inert, Escape
 * fires its `cancel` event (give it `onCancel`), Tab and Shift+Tab wrap around inside it (the
 * browser alone would let focus out to its own toolbar), and when it goes away focus returns to
 * the element that had it before (the button that opened it), if that is still on the page.
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const node = dialog.current;
    if (!node) return;
    const active = document.activeElement;
    const opener = active instanceof HTMLElement && active !== document.body && !node.contains(active) ? active : null;
    if (!node.open) node.showModal();

    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Tab" || event.defaultPrevented) return;
      const stops = tabStops(node);
      const first = stops[0];
      const last = stops[stops.length - 1];
      const current = document.activeElement;
      const outside = !current || current === node || !node.contains(current);
      if (!first || !last) {
        event.preventDefault();
      } else if (event.shiftKey && (outside || current === first)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (outside || current === last)) {
        event.preventDefault();
        first.focus();
      }
    };
    node.addEventListener("keydown", onKeyDown);
    return () => {
      node.removeEventListener("keydown", onKeyDown);
      node.close();
      // Unmounted, the dialog took focus with it (to <body>): give it back to the opener.
      const now = document.activeElement;
      if (opener?.isConnected && (!now || now === document.body || node.contains(now))) opener.focus();
    };
  }, []);
  return dialog;
}
