import type { Metadata } from "next";
import { ApprovePage } from "~/features/approvals/approve-page";

export const metadata: Metadata = { title: "Approval request" };

/** Where an approval's push notification leads: the request, one tap to approve or deny. */
export default async function ApproveRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ApprovePage id={id} />;
}
