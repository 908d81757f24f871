import type { Metadata } from "next";
import { InvitePage } from "~/features/auth/invite-page";

export const metadata: Metadata = { title: "Invitation" };

export default async function InviteRoute({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return <InvitePage token={token} />;
}
