import type { Metadata } from "next";
import { InviteFromFragment } from "~/features/auth/invite-page";

export const metadata: Metadata = { title: "Invitation" };

export default function InviteRoute() {
  return <InviteFromFragment />;
}
