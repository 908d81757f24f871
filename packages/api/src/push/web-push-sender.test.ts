import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPushService, type TestPushService } from "./test-push-service";
import { createWebPushSender, generateVapidKeys } from "./web-push-sender";

const SUBJECT = "https://tower.example.com/contact";
const vapid = generateVapidKeys();
let service: TestPushService;

beforeAll(async () => {
  service = await startTestPushService({ vapidPublicKey: vapid.publicKey, subject: SUBJECT });
});
afterAll(() => service.close());

const options = { ttlSeconds: 30, topic: "t0pic_-", urgency: "high" as const };

describe("web push sender", () => {
  it("keeps at most maxInFlight requests open; the rest wait in line and all arrive", async () => {
    const sender = createWebPushSender({ vapid, subject: SUBJECT, agent: service.agent, services: service.services, maxInFlight: 3 });
    const browser = service.browser();
    service.delay(30);
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => sender.send(browser.subscription, JSON.stringify({ i }), options)),
      );
      expect(results.every((result) => result.outcome === "sent")).toBe(true);
    } finally {
      service.delay(0);
    }
    expect(service.mostOpen()).toBe(3);
    expect(service.to(browser).map((push) => push.payload.i)).toHaveLength(10);
    expect(service.to(browser)[0]!.headers).toEqual({ ttl: 30, urgency: "high", topic: "t0pic_-" });
    expect(service.to(browser)[0]!.claims.sub).toBe(SUBJECT);
    expect(service.problems).toEqual([]);
  });

  it("drops what is no longer wanted when its turn comes, and what finds the line full", async () => {
    const sender = createWebPushSender({ vapid, subject: SUBJECT, agent: service.agent, services: service.services, maxInFlight: 1, maxQueued: 1 });
    const browser = service.browser();
    const [first, second, third] = await Promise.all([
      sender.send(browser.subscription, "{}", options),
      sender.send(browser.subscription, "{}", { ...options, stillWanted: () => false }),
      sender.send(browser.subscription, "{}", options),
    ]);
    expect(first).toMatchObject({ outcome: "sent" });
    expect(second).toEqual({ outcome: "skipped", why: "unwanted" });
    expect(third).toEqual({ outcome: "skipped", why: "queue full" });
    expect(service.to(browser)).toHaveLength(1);
  });

  it("tells 404/410 (gone) from other refusals, retries a 5xx once, and reports an unreachable service", async () => {
    const sender = createWebPushSender({ vapid, subject: SUBJECT, agent: service.agent, services: service.services, retryDelayMs: 5 });
    const gone = service.browser();
    service.answer(gone, 410);
    expect(await sender.send(gone.subscription, "{}", options)).toEqual({ outcome: "gone", statusCode: 410 });
    const failing = service.browser();
    service.answer(failing, 503);
    expect(await sender.send(failing.subscription, "{}", options)).toMatchObject({
      outcome: "refused",
      statusCode: 503,
    });
    expect(service.to(failing)).toHaveLength(2);
    const tooBig = service.browser();
    service.answer(tooBig, 413);
    expect(await sender.send(tooBig.subscription, "{}", options)).toMatchObject({
      outcome: "refused",
      statusCode: 413,
    });
    expect(service.to(tooBig)).toHaveLength(1);
    const nowhere = { ...service.browser().subscription, endpoint: "https://127.0.0.1:1/push/nowhere" };
    expect(await sender.send(nowhere, "{}", options)).toMatchObject({ outcome: "failed" });
    await sender.idle();
  });

  it("never trusts a certificate it was not given: without the test's agent, TLS verification fails", async () => {
    const sender = createWebPushSender({ vapid, subject: SUBJECT, services: service.services, retryDelayMs: 1 });
    const browser = service.browser();
    const result = await sender.send(browser.subscription, "{}", options);
    expect(result).toMatchObject({ outcome: "failed", error: expect.stringMatching(/self[- ]signed/i) });
    expect(service.to(browser)).toEqual([]);
  });

  it("sends only to push services: another host's subscription is gone, and nothing connects to it", async () => {
    const sender = createWebPushSender({ vapid, subject: SUBJECT, agent: service.agent });
    const browser = service.browser();
    expect(await sender.send(browser.subscription, "{}", options)).toEqual({ outcome: "gone", statusCode: 0 });
    expect(service.to(browser)).toEqual([]);
    expect(sender.endpointProblem(browser.subscription.endpoint)).toMatch(/^127\.0\.0\.1 is not a push service/);
    expect(sender.endpointProblem("https://fcm.googleapis.com/fcm/send/abc")).toBeNull();
    expect(sender.endpointProblem("https://wns2-par02p.notify.windows.com/w/?token=x")).toBeNull();
    expect(sender.endpointProblem("https://fcm.googleapis.com.evil.example/x")).not.toBeNull();
  });

  it("sends nothing when push is off, and says why", async () => {
    const sender = createWebPushSender({ vapid, subject: null, whyOff: "Set TOWER_PUSH_SUBJECT" });
    expect(sender.disabledReason).toBe("Set TOWER_PUSH_SUBJECT");
    expect(await sender.send(service.browser().subscription, "{}", options)).toEqual({
      outcome: "skipped",
      why: "unwanted",
    });
  });
});
