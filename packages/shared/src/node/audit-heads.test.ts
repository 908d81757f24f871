import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditHead } from "../audit";
import { auditKeyId, checkSignedHead, compareWithSignedHead, signAuditHead } from "./audit-heads";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const h = (n: number) => n.toString(16).padStart(64, "0");
const head: AuditHead = {
  projectId: "p-1",
  throughId: 100,
  hash: h(100),
  rows: 100,
  checkpoint: null,
  at: Date.UTC(2026, 0, 1),
  keyId: auditKeyId(publicKey),
};

describe("signed heads", () => {
  it("verify with the key that signed them, unchanged", () => {
    const signed = signAuditHead(head, privateKey);
    expect(checkSignedHead(JSON.parse(JSON.stringify(signed)), publicKey)).toEqual({ ok: true, head: signed });
  });

  it.each([
    ["throughId", 99],
    ["hash", h(7)],
    ["rows", 1],
    ["at", 0],
    ["checkpoint", { throughId: 5, throughHash: h(5) }],
  ])("fail their signature when %s is changed", (field, value) => {
    const signed = { ...signAuditHead(head, privateKey), [field]: value };
    expect(checkSignedHead(signed, publicKey)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/signature does not match/),
    });
  });

  it("say so when another key signed them, or when they are not heads at all", () => {
    const other = generateKeyPairSync("ed25519");
    const foreign = signAuditHead({ ...head, keyId: auditKeyId(other.publicKey) }, other.privateKey);
    expect(checkSignedHead(foreign, publicKey)).toMatchObject({ ok: false, reason: /another key/ });
    expect(checkSignedHead({ projectId: "p-1" }, publicKey)).toMatchObject({ ok: false, reason: /not a signed/ });
  });
});

describe("compareWithSignedHead", () => {
  const chain = { checkpoint: null, lastId: 120, hashAtHead: h(100) };

  it("accepts a chain that still holds the head and went on after it", () => {
    expect(compareWithSignedHead(chain, head)).toBeNull();
    expect(compareWithSignedHead({ ...chain, lastId: 100 }, head)).toBeNull();
  });

  it("reports truncation: the chain ends before the head's row", () => {
    expect(compareWithSignedHead({ ...chain, lastId: 90, hashAtHead: null }, head)).toMatchObject({
      problem: "truncated",
      at: 100,
      reason: expect.stringMatching(
        /the chain ends at row 90 but the head signed at 2026-01-01T00:00:00.000Z covers row 100/,
      ),
    });
  });

  it("reports a rewrite: the head's row is there with another hash, or gone from the middle", () => {
    expect(compareWithSignedHead({ ...chain, hashAtHead: h(1) }, head)).toMatchObject({ problem: "rewritten" });
    expect(compareWithSignedHead({ ...chain, hashAtHead: null }, head)).toMatchObject({
      problem: "rewritten",
      reason: expect.stringMatching(/is missing/),
    });
  });

  it("accepts a later checkpoint only when vouched for, and never a different one at the same place", () => {
    const pruned = { checkpoint: { throughId: 110, throughHash: h(110) }, lastId: 120, hashAtHead: null };
    expect(compareWithSignedHead(pruned, head)).toMatchObject({
      problem: "checkpoint",
      reason: expect.stringMatching(/through row 110 that no signed head accounts for/),
    });
    expect(compareWithSignedHead(pruned, head, { checkpointVouched: true })).toBeNull();
    const signedWithCheckpoint = { ...head, checkpoint: { throughId: 50, throughHash: h(50) } };
    expect(
      compareWithSignedHead({ ...chain, checkpoint: { throughId: 50, throughHash: h(51) } }, signedWithCheckpoint, {
        checkpointVouched: true,
      }),
    ).toMatchObject({ problem: "checkpoint" });
    expect(
      compareWithSignedHead({ ...chain, checkpoint: signedWithCheckpoint.checkpoint }, signedWithCheckpoint),
    ).toBeNull();
  });
});
