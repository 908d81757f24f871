import { describe, expect, it } from "vitest";
import { POLICY_LIMITS } from "./domain/policy";
import { PolicyCheckInputSchema } from "./policy";

describe("PolicyCheckInputSchema", () => {
  it("bounds the input in bytes of UTF-8, as it says, not in characters", () => {
    const check = (text: string) => PolicyCheckInputSchema.safeParse({ agent: "a", tool: "t", input: { text } });
    // 6,000 characters of three bytes each: 18,000 bytes, over the limit although under it in characters.
    const euros = check("€".repeat(6_000));
    expect(euros.success).toBe(false);
    expect(euros.error?.issues[0]?.message).toBe(`input must be at most ${POLICY_LIMITS.inputBytes} bytes of JSON`);
    expect(check("e".repeat(16_000)).success).toBe(true);
    expect(check("€".repeat(5_000)).success).toBe(true);
  });
});
