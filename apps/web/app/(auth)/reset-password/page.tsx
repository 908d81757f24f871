import type { Metadata } from "next";
import { ResetPasswordPage } from "~/features/auth/reset-password-page";

export const metadata: Metadata = { title: "Set a new password" };

export default function ResetPasswordRoute() {
  return <ResetPasswordPage />;
}
