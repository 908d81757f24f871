"use client";
import { lazyComponent } from "./lazy";

// Opens on a click; its code loads then, not with the page.
export const ConfirmDialog = lazyComponent(() => import("./confirm-dialog").then((m) => m.ConfirmDialog));
