"use client";
import { lazyComponent } from "~/ui/lazy";

// The fleet's dialogs open on a click; their code loads then, not with the page.
export const AgentFormDialog = lazyComponent(() => import("./agent-form").then((m) => m.AgentFormDialog));
export const ConfirmDialog = lazyComponent(() => import("./agent-form").then((m) => m.ConfirmDialog));
export const KillSwitchDialog = lazyComponent(() => import("./kill-switch").then((m) => m.KillSwitchDialog));
export type { AgentFields } from "./agent-form";
