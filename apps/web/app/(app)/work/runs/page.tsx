import type { Metadata } from "next";
import { RunsPage } from "~/features/work/runs-page";

export const metadata: Metadata = { title: "Work: runs" };

export default function RunsRoute() {
  return <RunsPage />;
}
