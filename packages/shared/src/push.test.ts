import { describe, expect, it } from "vitest";
import { pushSubjectProblem } from "./domain/push";
import { PushSubjectSchema } from "./push";

describe("the web push contact subject", () => {
  it.each(["mailto:ops@example.com", "https://tower.example.com/contact", "https://example.org", " mailto:a@b.co "])(
    "accepts %s",
    (subject) => {
      expect(PushSubjectSchema.safeParse(subject).success).toBe(true);
    },
  );

  it.each([
    ["http://tower.example.com", /mailto: or https:/],
    ["ftp://example.com", /mailto: or https:/],
    ["ops@example.com", /not a URL/],
    ["mailto:ops@localhost", /localhost is this machine/],
    ["https://localhost:3000", /localhost is this machine/],
    ["https://tower.localhost", /this machine/],
    ["https://127.0.0.1", /127\.0\.0\.1 is this machine/],
    ["https://127.1.2.3/x", /this machine/],
    ["https://[::1]:8443", /::1 is this machine|\[::1\] is this machine/],
    ["mailto:", /names no email domain/],
  ])("refuses %s", (subject, message) => {
    expect(pushSubjectProblem(subject)).toMatch(message);
    const parsed = PushSubjectSchema.safeParse(subject);
    expect(parsed.success).toBe(false);
  });
});
