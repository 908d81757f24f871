import type { Metadata } from "next";
import { PolicyPage } from "~/features/policy/policy-page";

export const metadata: Metadata = { title: "Policy" };

export default function PolicyRoute() {
  return <PolicyPage />;
}
