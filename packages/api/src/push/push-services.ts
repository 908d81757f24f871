/**
 * Where Tower sends web pushes: only to the browsers' push services. A subscription names its
 * endpoint, and whoever subscribes chooses it, so without this list any signed-in person could make
 * the server open HTTPS connections to hosts of their choosing (cloud metadata addresses, services
 * on its own network) and read what answered from its log.
 */

/** The push services of Chrome and the Chromium browsers, Firefox, Safari, and Edge. */
export const KNOWN_PUSH_SERVICES = [
  "fcm.googleapis.com",
  "push.services.mozilla.com",
  "push.apple.com",
  "notify.windows.com",
] as const;

/** `host` is `service` or one of its subdomains (`wns2-par02p.notify.windows.com`). */
const isUnder = (host: string, service: string) => host === service || host.endsWith(`.${service}`);

/**
 * Why Tower will not send to `endpoint`, or null when it is a push service's: one of the known
 * ones, or one the administrator added (`TOWER_PUSH_SERVICES`).
 */
export function pushEndpointProblem(endpoint: string, extra: readonly string[] = []): string | null {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return "Must be the push service's URL";
  }
  const services = [...KNOWN_PUSH_SERVICES, ...extra.map((service) => service.toLowerCase())];
  if (services.some((service) => isUnder(host, service))) return null;
  return (
    `${host} is not a push service Tower sends to (${KNOWN_PUSH_SERVICES.join(", ")}); ` +
    "an administrator adds another with TOWER_PUSH_SERVICES"
  );
}
