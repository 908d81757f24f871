export default function NotFound() {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Page not found</h1>
        <p>
          {/* A plain link: next/link here would put its client code into every route's first load. */}
          <a href="/agents">Go to your agents</a>
        </p>
      </div>
    </main>
  );
}
