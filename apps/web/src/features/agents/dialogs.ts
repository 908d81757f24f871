"use client";
import { lazyComponent } from "~/ui/lazy";

// The agent page's edit form opens on a click; its code loads then, not with the page.
export const AgentFormDialog = lazyComponent(() => import("./agent-form").then((m) => m.AgentFormDialog));
export type { AgentFields } from "./agent-form";
