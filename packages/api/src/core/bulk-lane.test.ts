import { describe, expect, it } from "vitest";
import { bulkTurn } from "./bulk-lane";
import { createConnectionState } from "./connection-state";

describe("the bulk lane", () => {
  it("gives bulk work one turn per loop iteration, so other work waiting meanwhile goes in between", async () => {
    const state = createConnectionState();
    const order: string[] = [];
    const slices = [1, 2, 3].map((n) => bulkTurn(state.bulkLane).then(() => order.push(`slice ${n}`)));
    // Other work that became ready after the slices queued up (as a request arriving would).
    setImmediate(() => order.push("other"));
    await Promise.all(slices);
    expect(order).toEqual(["slice 1", "other", "slice 2", "slice 3"]);
  });

  it("serves turns in the order they were asked for, across callers", async () => {
    const state = createConnectionState();
    const order: number[] = [];
    await Promise.all([5, 4, 3, 2, 1].map((n) => bulkTurn(state.bulkLane).then(() => order.push(n))));
    expect(order).toEqual([5, 4, 3, 2, 1]);
  });
});
