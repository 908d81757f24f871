import type { Metadata } from "next";
import { ImportPage } from "~/features/import/import-page";

export const metadata: Metadata = { title: "Import agents" };

export default function ImportRoute() {
  return <ImportPage />;
}
