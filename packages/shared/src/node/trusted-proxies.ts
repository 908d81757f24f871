import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/**
 * Which peers may speak for the client through `X-Forwarded-*` headers. Anyone can send those
 * headers, so they are believed only from proxies the operator named (TOWER_TRUSTED_PROXIES); from
 * anyone else the socket's peer is the client, or one forged header would pick the address that
 * login throttling counts and the scheme that decides Secure cookies and HSTS.
 */
export interface ProxyTrust {
  /** The configured entries, as given (for logs and error messages). */
  readonly entries: readonly string[];
  isTrusted(address: string): boolean;
}

/** Trusts no proxy: the default. */
export const NO_TRUSTED_PROXIES: ProxyTrust = { entries: [], isTrusted: () => false };

/** An address as the socket or a header gives it, without an IPv4-mapped prefix, brackets or a port. */
export function normalizeAddress(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(":"));
  if (/^::ffff:[\d.]+$/i.test(address)) address = address.slice("::ffff:".length);
  return isIP(address) ? address : null;
}

/**
 * Parses a list of addresses and CIDR ranges (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`), or
 * `loopback` for 127.0.0.0/8 and ::1. Throws on an entry that is neither, naming it.
 */
export function parseTrustedProxies(entries: readonly string[]): ProxyTrust {
  if (entries.length === 0) return NO_TRUSTED_PROXIES;
  const list = new BlockList();
  for (const entry of entries) {
    if (entry === "loopback") {
      list.addSubnet("127.0.0.0", 8, "ipv4");
      list.addAddress("::1", "ipv6");
      continue;
    }
    const [address, prefix, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const bits = prefix === undefined ? null : Number(prefix);
    const maxBits = family === 4 ? 32 : 128;
    if (
      !family ||
      extra !== undefined ||
      (bits !== null && !(Number.isInteger(bits) && bits >= 0 && bits <= maxBits))
    ) {
      throw new Error(`"${entry}" is not an IP address, a CIDR range or "loopback"`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === null) list.addAddress(address!, type);
    else list.addSubnet(address!, bits, type);
  }
  return {
    entries: [...entries],
    isTrusted(raw) {
      const address = normalizeAddress(raw);
      if (!address) return false;
      return list.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
    },
  };
}

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(",") : value)
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy; then the hops in
 * `X-Forwarded-For` are walked from the nearest, and the first one that is not a trusted proxy is
 * the client. A malformed hop stops the walk at the last proxy that was believed.
 */
export function clientAddressOf(req: IncomingMessage, trust: ProxyTrust): string | null {
  let client = normalizeAddress(req.socket.remoteAddress);
  if (!client) return null;
  const hops = headerValues(req.headers["x-forwarded-for"]);
  while (trust.isTrusted(client) && hops.length > 0) {
    const hop = normalizeAddress(hops.pop());
    if (!hop) break;
    client = hop;
  }
  return client;
}

/** Whether the browser's request came over HTTPS: to this socket, or to a trusted proxy that says so. */
export function isHttpsRequest(req: IncomingMessage, trust: ProxyTrust): boolean {
  if ("encrypted" in req.socket && req.socket.encrypted) return true;
  if (!trust.isTrusted(req.socket.remoteAddress ?? "")) return false;
  return headerValues(req.headers["x-forwarded-proto"])[0]?.toLowerCase() === "https";
}
