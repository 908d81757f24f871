import Link from "next/link";

export default function NotFound() {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Page not found</h1>
        <p>
          <Link href="/agents">Go to your agents</Link>
        </p>
      </div>
    </main>
  );
}
