import Link from "next/link";

/**
 * The service worker's answer, offline, for a page this device has not opened before (an agent's
 * page never visited): which pages do work offline, and that this one will once opened online.
 */
export function OfflinePage() {
  return (
    <section className="offline-page">
      <h1>Not saved on this device</h1>
      <p>
        This page has not been opened here while online, so there is nothing to show offline. It will be kept once you
        open it with a connection.
      </p>
      <p>These show what Tower last sent:</p>
      <ul>
        <li>
          <Link href="/overview">Overview</Link>
        </li>
        <li>
          <Link href="/agents">Agents</Link> and the agents you opened
        </li>
        <li>
          <Link href="/approvals">Approvals</Link>
        </li>
      </ul>
    </section>
  );
}
