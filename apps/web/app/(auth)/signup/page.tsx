import type { Metadata } from "next";
import { SignUpPage } from "~/features/auth/signup-form";

export const metadata: Metadata = { title: "Sign up" };

export default function SignUpRoute() {
  return <SignUpPage />;
}
