import { describe, expect, it } from "vitest";
import { MISSED_FIRES_COUNTED, missedFires } from "./schedule";

describe("fires missed while Tower was down", () => {
  const at = (h: number, m = 0) => Date.UTC(2026, 0, 1, h, m);

  it("counts every fire from the first missed one up to now, with the last", () => {
    expect(missedFires("0 * * * *", "UTC", at(1), at(5, 30))).toEqual({ count: 5, last: at(5), more: false });
    expect(missedFires("0 * * * *", "UTC", at(1), at(1, 59))).toEqual({ count: 1, last: at(1), more: false });
  });

  it("stops counting at a bound, saying there were more", () => {
    const missed = missedFires("* * * * *", "UTC", at(0), at(24));
    expect(missed).toEqual({
      count: MISSED_FIRES_COUNTED,
      last: at(0) + (MISSED_FIRES_COUNTED - 1) * 60_000,
      more: true,
    });
  });
});
