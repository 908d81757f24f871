/**
 * A push service on loopback HTTPS for tests (web-push only speaks HTTPS): it checks each request
 * as a real push service would (the VAPID JWT's signature, audience, subject and expiry; TTL,
 * Urgency and Topic), decrypts the payload with http_ece as the browser would, and answers with a
 * status the test chooses. Only test files import this module.
 */
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer } from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { decrypt } from "http_ece";

export interface ReceivedPush {
  /** The endpoint's path (which browser it was for). */
  path: string;
  headers: { ttl: number; urgency: string | undefined; topic: string | undefined };
  claims: { aud: string; sub: string; exp: number };
  /** The decrypted JSON payload. */
  payload: Record<string, unknown>;
  status: number;
}

/** A browser's side of one subscription: the keys it made and what it gives the server. */
export interface TestBrowser {
  ecdh: ECDH;
  auth: Buffer;
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
}

const b64url = (buffer: Buffer) => buffer.toString("base64url");

/** A self-signed certificate for 127.0.0.1, made by the openssl CLI in a temporary folder. */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-push-tls-"));
  try {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The server's VAPID public key (65-byte point, base64url) as a key node:crypto verifies with. */
function vapidPublicKeyObject(publicKey: string) {
  const point = Buffer.from(publicKey, "base64url");
  return createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
    format: "jwk",
  });
}

export async function startTestPushService({ vapidPublicKey, subject }: { vapidPublicKey: string; subject: string }) {
  const { key, cert } = selfSignedCertificate();
  const browsers = new Map<string, TestBrowser>();
  const statusFor = new Map<string, number>();
  const received: ReceivedPush[] = [];
  let delayMs = 0;
  let open = 0;
  let mostOpen = 0;
  /** What was wrong with a request (a test expects none). */
  const problems: string[] = [];
  const publicKey = vapidPublicKeyObject(vapidPublicKey);

  function check(urlPath: string, headers: Record<string, string | string[] | undefined>, body: Buffer) {
    const auth = String(headers.authorization ?? "");
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(auth);
    if (!match) throw new Error(`Authorization is not "vapid t=…, k=…": ${auth}`);
    const [, jwt, k] = match as unknown as [string, string, string];
    if (k !== vapidPublicKey) throw new Error("k is not the server's VAPID public key");
    const [head, claims, signature] = jwt.split(".") as [string, string, string];
    if (JSON.parse(Buffer.from(head, "base64url").toString()).alg !== "ES256") throw new Error("alg is not ES256");
    const signed = Buffer.from(`${head}.${claims}`);
    const genuine = verify(
      "sha256",
      signed,
      { key: publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    );
    if (!genuine) throw new Error("the JWT's signature does not verify with the VAPID public key");
    const parsed = JSON.parse(Buffer.from(claims, "base64url").toString()) as ReceivedPush["claims"];
    if (parsed.aud !== origin) throw new Error(`aud ${parsed.aud} is not ${origin}`);
    if (parsed.sub !== subject) throw new Error(`sub ${parsed.sub} is not ${subject}`);
    if (!(parsed.exp * 1000 > Date.now())) throw new Error("exp is not in the future");
    if (headers["content-encoding"] !== "aes128gcm") throw new Error("Content-Encoding is not aes128gcm");
    const browser = browsers.get(urlPath);
    if (!browser) throw new Error(`no browser subscribed at ${urlPath}`);
    const plain = decrypt(body, { version: "aes128gcm", privateKey: browser.ecdh, authSecret: b64url(browser.auth) });
    return {
      claims: parsed,
      payload: JSON.parse(plain.toString("utf8")) as Record<string, unknown>,
      headers: {
        ttl: Number(headers.ttl),
        urgency: headers.urgency as string | undefined,
        topic: headers.topic as string | undefined,
      },
    };
  }

  const server = createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    mostOpen = Math.max(mostOpen, ++open);
    response.on("finish", () => open--);
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const urlPath = request.url ?? "/";
      try {
        const checked = check(urlPath, request.headers, Buffer.concat(chunks));
        const status = statusFor.get(urlPath) ?? 201;
        received.push({ path: urlPath, ...checked, status });
        response.writeHead(status).end();
      } catch (error) {
        problems.push((error as Error).message);
        response.writeHead(400).end((error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    /** Trusts this service's certificate (and nothing is verified less than usual). */
    agent: new Agent({ ca: cert }),
    /** For the sender's `services`: this service's host, which no browser uses. */
    services: ["127.0.0.1"],
    received,
    problems,
    /** A new browser subscription at this service: keys made as a browser makes them. */
    browser(): TestBrowser {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const urlPath = `/push/${b64url(randomBytes(12))}`;
      const browser = {
        ecdh,
        auth,
        subscription: {
          endpoint: `${origin}${urlPath}`,
          keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(auth) },
        },
      };
      browsers.set(urlPath, browser);
      return browser;
    },
    /** Pushes to this browser are answered with `status` from now on (410: unsubscribed). */
    answer(browser: TestBrowser, status: number) {
      statusFor.set(new URL(browser.subscription.endpoint).pathname, status);
    },
    /** Every answer waits this long from now on (to see how many requests are open at once). */
    delay(ms: number) {
      delayMs = ms;
    },
    /** The most requests that were open at once. */
    mostOpen: () => mostOpen,
    /** What reached one browser. */
    to(browser: TestBrowser) {
      const urlPath = new URL(browser.subscription.endpoint).pathname;
      return received.filter((push) => push.path === urlPath);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type TestPushService = Awaited<ReturnType<typeof startTestPushService>>;
