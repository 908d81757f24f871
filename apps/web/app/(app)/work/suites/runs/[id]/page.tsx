import type { Metadata } from "next";
import { SuiteRunPage } from "~/features/suites/suite-run-page";

export const metadata: Metadata = { title: "Suite run" };

export default async function SuiteRunRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SuiteRunPage id={decodeURIComponent(id)} />;
}
