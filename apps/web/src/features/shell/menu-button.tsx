"use client";
import type { RefObject } from "react";
import { usePendingCount } from "~/lib/approval-feed";
import { useProject } from "./project";

/** A pending count as badges show it. */
export const countText = (pending: number) => (pending > 99 ? "99+" : String(pending));

interface MenuButtonProps {
  open: boolean;
  onToggle(): void;
  buttonRef: RefObject<HTMLButtonElement | null>;
}

/**
 * The phone's menu button; with approvals waiting it shows their count, and says it in its name
 * ("Menu, 2 pending"), so what it shows and what it is called agree.
 */
export function MenuButton({ open, onToggle, buttonRef, pending = 0 }: MenuButtonProps & { pending?: number }) {
  const counted = pending > 0 && !open;
  return (
    <button
      ref={buttonRef}
      type="button"
      className="menu-button narrow-only"
      aria-expanded={open}
      aria-controls="app-menu"
      aria-label={counted ? `Menu, ${countText(pending)} pending` : "Menu"}
      onClick={onToggle}
    >
      <span aria-hidden="true">{open ? "✕" : "☰"}</span>
      {counted ? (
        <span className="nav-count" aria-hidden="true">
          {countText(pending)}
        </span>
      ) : null}
    </button>
  );
}

export function ProjectMenuButton(props: MenuButtonProps) {
  const { current } = useProject();
  return <MenuButton {...props} pending={usePendingCount(current.projectId).data?.pending ?? 0} />;
}
