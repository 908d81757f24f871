import type { Metadata } from "next";
import { SuitesPage } from "~/features/suites/suites-page";

export const metadata: Metadata = { title: "Work: test suites" };

export default function SuitesRoute() {
  return <SuitesPage />;
}
