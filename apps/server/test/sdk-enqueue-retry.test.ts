// An app's enqueue whose answer is lost on the way back (a proxy cut, Tower killed after its
// commit): the SDK sends the call again with the same idempotency keys, and no run is queued twice.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createTowerClient, EnqueueManyError, EnqueueUnansweredError, type TowerClient } from "@tower/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./harness";

let tower: TestServer;
let proxy: http.Server;
let app: TowerClient;
/** Gives up on an unanswered call after 1.5 s instead of 30. */
let impatient: TowerClient;
/** Calls seen, by procedure, since the test began. */
const seen = new Map<string, number>();
/** Whether the `nth` call (from 0) of a procedure loses its answer: it reaches Tower, the answer never reaches the app. */
let lose: (procedure: string, nth: number) => boolean = () => false;
/** Whether calls are held open unanswered, never passed on (a Tower frozen with its port open). */
let frozen = false;

beforeEach(() => {
  seen.clear();
  lose = () => false;
  frozen = false;
});

beforeAll(async () => {
  tower = await startTestServer();
  // Forwards every request; for a call that `lose` picks, waits for Tower's whole answer, then
  // cuts the app's connection instead of passing it on.
  proxy = http.createServer((req, res) => {
    const procedure = new URL(req.url!, "http://x").pathname.replace("/trpc/", "");
    const nth = seen.get(procedure) ?? 0;
    seen.set(procedure, nth + 1);
    if (frozen) return; // read, never answered: the connection stays open
    const upstream = http.request(`${tower.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      if (lose(procedure, nth)) {
        answer.resume();
        answer.on("end", () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  app = createTowerClient({ url, apiKey: tower.apiKey });
  impatient = createTowerClient({ url, apiKey: tower.apiKey, enqueueRetryMs: 1_500 });
  await tower.owner.task.create({ projectId: tower.projectId, name: "lossy" });
}, 30_000);

afterAll(async () => {
  proxy.closeAllConnections(); // the calls the frozen test held open
  await app.shutdown();
  await impatient.shutdown();
  await new Promise((resolve) => proxy.close(resolve));
  await tower.stop();
});

const runsOf = (task: string) =>
  tower.deps.db.$client.prepare("SELECT count(*) FROM runs WHERE task_name = ?").pluck().get(task) as number;

describe("enqueue when Tower's answer is lost", () => {
  it("sends enqueueMany's call again and queues each run once", async () => {
    const before = runsOf("lossy");
    lose = (procedure, nth) => procedure === "task.enqueueMany" && nth < 2; // the first call's answer, then its retry's
    const inputs = Array.from({ length: 1_500 }, (_, n) => ({ n })); // two calls: 1,000 and 500
    const ids = await app.tasks.enqueueMany("lossy", inputs);
    expect(seen.get("task.enqueueMany")).toBe(4);
    expect(new Set(ids).size).toBe(1_500);
    expect(runsOf("lossy") - before).toBe(1_500);
    const last = await tower.owner.run.byId({ projectId: tower.projectId, id: ids[1_499]! });
    expect(last.input).toEqual({ n: 1_499 });
  });

  it("sends enqueue's call again and answers the run it made", async () => {
    const before = runsOf("lossy");
    lose = (procedure, nth) => procedure === "task.runNow" && nth === 0;
    const run = await app.tasks.enqueue("lossy", { once: true });
    expect(runsOf("lossy") - before).toBe(1);
    expect(run.input).toEqual({ once: true });
    // The app's own key answers the same run when the app itself asks again.
    const again = await app.tasks.enqueue("lossy", {}, { idempotencyKey: run.idempotencyKey! });
    expect(again.id).toBe(run.id);
    expect(runsOf("lossy") - before).toBe(1);
  });

  it("says which runs are not known to be queued when the answers never come, and a repeat queues only those", async () => {
    const before = runsOf("lossy");
    const inputs = Array.from({ length: 1_200 }, (_, n) => ({ n }));
    const keys = inputs.map((_, n) => `batch-7/${n}`);
    // Every try of the second call loses its answer, for as long as the client tries (1.5 s here).
    lose = (procedure, nth) => procedure === "task.enqueueMany" && nth >= 1;
    const error = await impatient.tasks
      .enqueueMany("lossy", inputs, { idempotencyKeys: keys })
      .catch((e: unknown) => e);
    expect(seen.get("task.enqueueMany")).toBeGreaterThan(2);
    lose = () => false;
    expect(error).toBeInstanceOf(EnqueueManyError);
    expect((error as EnqueueManyError).queued).toHaveLength(1_000);
    expect((error as EnqueueManyError).idempotencyKeys).toEqual(keys);
    expect((error as Error).message).toMatch(
      /^1000 of 1200 runs were queued; whether the next 200 were is not known \(Tower did not answer: .*\): call enqueueMany again with \{ idempotencyKeys: error\.idempotencyKeys \}/,
    );
    expect(runsOf("lossy") - before).toBe(1_200); // they were: only their answers were lost
    const ids = await app.tasks.enqueueMany("lossy", inputs, { idempotencyKeys: keys });
    expect(ids.slice(0, 1_000)).toEqual((error as EnqueueManyError).queued);
    expect(runsOf("lossy") - before).toBe(1_200);
  });

  it("gives the keys it made when the first call goes unanswered, so the app can ask again without doubles", async () => {
    const before = runsOf("lossy");
    const inputs = Array.from({ length: 300 }, (_, n) => ({ n }));
    lose = (procedure) => procedure === "task.enqueueMany";
    const error = (await impatient.tasks.enqueueMany("lossy", inputs).catch((e: unknown) => e)) as EnqueueManyError;
    lose = () => false;
    expect(error).toBeInstanceOf(EnqueueManyError);
    expect(error.queued).toEqual([]);
    expect(error.message).toMatch(/^0 of 300 runs were queued; whether the next 300 were is not known/);
    expect(runsOf("lossy") - before).toBe(300);
    const ids = await app.tasks.enqueueMany("lossy", inputs, { idempotencyKeys: error.idempotencyKeys });
    expect(new Set(ids).size).toBe(300);
    expect(runsOf("lossy") - before).toBe(300);

    lose = (procedure) => procedure === "task.runNow";
    const single = (await impatient.tasks
      .enqueue("lossy", { one: true })
      .catch((e: unknown) => e)) as EnqueueUnansweredError;
    lose = () => false;
    expect(single).toBeInstanceOf(EnqueueUnansweredError);
    expect(single.message).toMatch(
      /whether the run of "lossy" was queued is not known; enqueue it again with idempotencyKey/,
    );
    const run = await app.tasks.enqueue("lossy", { one: true }, { idempotencyKey: single.idempotencyKey });
    expect(run.input).toEqual({ one: true });
    expect(runsOf("lossy") - before).toBe(301);
  });

  it("gives up on a Tower that holds its calls open without answering, when its time to retry is over", async () => {
    frozen = true;
    const error = (await impatient.tasks.enqueue("lossy", { held: true }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(EnqueueUnansweredError);
    expect(error.message).toMatch(/^Tower did not answer \(.*\): whether the run of "lossy" was queued is not known/);
    const many = (await impatient.tasks.enqueueMany("lossy", [{ a: 1 }]).catch((e: unknown) => e)) as Error;
    expect(many).toBeInstanceOf(EnqueueManyError);
  }, 30_000);

  it("refuses keys Tower would refuse, before sending anything, naming the input", async () => {
    const before = runsOf("lossy");
    seen.clear();
    const inputs = [{ a: 1 }, { a: 2 }, { a: 3 }];
    await expect(app.tasks.enqueueMany("lossy", inputs, { idempotencyKeys: ["a", "b", "a"] })).rejects.toThrow(
      'idempotencyKeys[2] "a" is also idempotencyKeys[0]: a key names one run',
    );
    await expect(app.tasks.enqueueMany("lossy", inputs, { idempotencyKeys: ["a", "", "c"] })).rejects.toThrow(
      "idempotencyKeys[1]: An idempotency key cannot be empty",
    );
    await expect(
      app.tasks.enqueueMany("lossy", inputs, { idempotencyKeys: ["a", "b", "x".repeat(201)] }),
    ).rejects.toThrow("idempotencyKeys[2]: An idempotency key must be at most 200 characters");
    await expect(app.tasks.enqueue("lossy", {}, { idempotencyKey: "bad\ud800" })).rejects.toThrow(
      "idempotencyKey: has a lone surrogate",
    );
    expect(seen.size).toBe(0);
    expect(runsOf("lossy")).toBe(before);
  });
});
