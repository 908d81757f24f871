import { SharedJson } from "@tower/api";
import { describe, expect, it } from "vitest";
import { wsEncoder } from "../src/ws-encoder";

describe("WebSocket encoder", () => {
  const rows = [
    { id: 7, target: 'quotes " and $& and \u0000' },
    { id: 8, target: "\u2028" },
  ];

  it("splices a shared payload in: the same text as stringifying the plain message", () => {
    const message = { id: 3, jsonrpc: "2.0", result: { type: "data", id: "8", data: new SharedJson(rows) } };
    const plain = { ...message, result: { ...message.result, data: rows } };
    expect(wsEncoder.encode(message)).toBe(JSON.stringify(plain));
    expect(wsEncoder.decode(wsEncoder.encode(message) as string)).toEqual(plain);
  });

  it("splices a tracked item's shared payload in the same way", () => {
    const message = {
      id: 3,
      jsonrpc: "2.0",
      result: { type: "data", id: "8", data: { id: "8", data: new SharedJson(rows) } },
    };
    const plain = { ...message, result: { ...message.result, data: { id: "8", data: rows } } };
    expect(wsEncoder.encode(message)).toBe(JSON.stringify(plain));
  });

  it("encodes every other message as plain JSON", () => {
    const message = { id: 1, jsonrpc: "2.0", result: { type: "started" } };
    expect(wsEncoder.encode(message)).toBe(JSON.stringify(message));
  });
});
