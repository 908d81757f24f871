import { useEffect, useRef } from "react";

/** A `<dialog>` shown as a modal while the component is mounted (focus trap, Escape, backdrop). */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const node = dialog.current;
    if (node && !node.open) node.showModal();
    return () => node?.close();
  }, []);
  return dialog;
}
