import { SharedJson } from "@tower/api";
import { describe, expect, it } from "vitest";
import { wsEncoder } from "../src/ws-encoder";

const text = (encoded: string | Uint8Array) =>
  typeof encoded === "string" ? encoded : Buffer.from(encoded).toString("utf8");

describe("WebSocket encoder", () => {
  const rows = [
    { id: 7, target: 'quotes " and $& and \u0000' },
    { id: 8, target: "\u2028" },
  ];

  it("splices a shared payload in: the same text as stringifying the plain message", () => {
    const message = { id: 3, jsonrpc: "2.0", result: { type: "data", id: "8", data: new SharedJson(rows) } };
    const plain = { ...message, result: { ...message.result, data: rows } };
    expect(text(wsEncoder.encode(message))).toBe(JSON.stringify(plain));
    expect(wsEncoder.decode(text(wsEncoder.encode(message)))).toEqual(plain);
  });

  it("encodes a shared payload once per envelope: sockets with the same subscription id share the bytes", () => {
    const shared = new SharedJson(rows);
    const to = (subscription: number) => ({ id: subscription, result: { type: "data", id: "8", data: shared } });
    const first = wsEncoder.encode(to(1));
    expect(wsEncoder.encode(to(1))).toBe(first);
    const other = wsEncoder.encode(to(2));
    expect(other).not.toBe(first);
    expect(JSON.parse(text(other))).toEqual({ id: 2, result: { type: "data", id: "8", data: rows } });
  });

  it("splices a tracked item's shared payload in the same way", () => {
    const message = {
      id: 3,
      jsonrpc: "2.0",
      result: { type: "data", id: "8", data: { id: "8", data: new SharedJson(rows) } },
    };
    const plain = { ...message, result: { ...message.result, data: { id: "8", data: rows } } };
    expect(text(wsEncoder.encode(message))).toBe(JSON.stringify(plain));
  });

  it("encodes every other message as plain JSON", () => {
    const message = { id: 1, jsonrpc: "2.0", result: { type: "started" } };
    expect(wsEncoder.encode(message)).toBe(JSON.stringify(message));
  });
});
