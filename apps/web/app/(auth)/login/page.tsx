import type { Metadata } from "next";
import { LoginForm } from "~/features/auth/login-form";

export const metadata: Metadata = { title: "Log in" };

export default function LoginRoute() {
  return <LoginForm />;
}
