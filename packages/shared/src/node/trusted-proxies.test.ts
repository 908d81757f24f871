import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import {
  clientAddressOf,
  isHttpsRequest,
  normalizeAddress,
  NO_TRUSTED_PROXIES,
  parseTrustedProxies,
} from "./trusted-proxies";

/** A request as node:http hands it over: only the socket's peer and the headers matter here. */
function request(remoteAddress: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress, ...(encrypted ? { encrypted } : {}) }, headers } as unknown as IncomingMessage;
}

describe("trusted proxies", () => {
  it("believes no X-Forwarded-For by default: the socket's peer is the client", () => {
    const req = request("203.0.113.7", { "x-forwarded-for": "198.51.100.1" });
    expect(clientAddressOf(req, NO_TRUSTED_PROXIES)).toBe("203.0.113.7");
    expect(clientAddressOf(req, parseTrustedProxies([]))).toBe("203.0.113.7");
  });

  it("takes the nearest hop that is not a trusted proxy, so a forged hop on the left changes nothing", () => {
    const trust = parseTrustedProxies(["loopback", "10.0.0.0/8"]);
    const req = request("::ffff:127.0.0.1", { "x-forwarded-for": "1.1.1.1, 198.51.100.9, 10.1.2.3" });
    expect(clientAddressOf(req, trust)).toBe("198.51.100.9");
    // The proxy itself, when it forwards nothing.
    expect(clientAddressOf(request("127.0.0.1"), trust)).toBe("127.0.0.1");
  });

  it("ignores X-Forwarded-For from a peer that is not a configured proxy", () => {
    const trust = parseTrustedProxies(["10.0.0.1"]);
    expect(clientAddressOf(request("10.0.0.2", { "x-forwarded-for": "1.1.1.1" }), trust)).toBe("10.0.0.2");
  });

  it("stops at a malformed hop instead of believing it", () => {
    const trust = parseTrustedProxies(["127.0.0.1"]);
    expect(clientAddressOf(request("127.0.0.1", { "x-forwarded-for": "not-an-ip" }), trust)).toBe("127.0.0.1");
  });

  it("believes X-Forwarded-Proto only from a trusted proxy", () => {
    const trust = parseTrustedProxies(["127.0.0.1"]);
    expect(isHttpsRequest(request("127.0.0.1", { "x-forwarded-proto": "https" }), trust)).toBe(true);
    expect(isHttpsRequest(request("192.0.2.1", { "x-forwarded-proto": "https" }), trust)).toBe(false);
    expect(isHttpsRequest(request("192.0.2.1", {}, true), trust)).toBe(true);
  });

  it("refuses entries that are not addresses or ranges, naming them", () => {
    expect(() => parseTrustedProxies(["proxy.local"])).toThrow(/"proxy.local"/);
    expect(() => parseTrustedProxies(["10.0.0.0/33"])).toThrow(/10.0.0.0\/33/);
    expect(parseTrustedProxies(["fd00::/8"]).isTrusted("fd00::1")).toBe(true);
  });

  it("normalizes mapped, bracketed and ported addresses", () => {
    expect(normalizeAddress("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeAddress("[::1]:443")).toBe("::1");
    expect(normalizeAddress("192.0.2.1:8080")).toBe("192.0.2.1");
    expect(normalizeAddress("nonsense")).toBeNull();
  });
});
