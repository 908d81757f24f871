import type { Metadata } from "next";
import { RunDetailPage } from "~/features/work/run-detail-page";

export const metadata: Metadata = { title: "Run" };

export default async function RunRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RunDetailPage id={decodeURIComponent(id)} />;
}
