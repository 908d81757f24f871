import { describe, expect, it } from "vitest";
import { chunkIdentityFiles, emptyImportReport, mergeImportReports, type IdentityFile } from "./domain/identity-import";

const file = (name: string, size: number): IdentityFile => ({ name, content: "x".repeat(size) });

describe("chunkIdentityFiles", () => {
  it("keeps every file, in order, within the file-count and byte budgets", () => {
    const files = Array.from({ length: 45 }, (_, i) => file(`f${i}.yaml`, 100 + i * 1_000));
    const chunks = chunkIdentityFiles(files, { maxFiles: 10, maxBytes: 60_000 });
    expect(chunks.flat()).toEqual(files);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(10);
      const bytes = chunk.reduce((sum, f) => sum + JSON.stringify(f).length, 0);
      expect(chunk.length === 1 || bytes <= 60_000).toBe(true);
    }
  });

  it("puts a file larger than the budget in a call of its own rather than dropping it", () => {
    const chunks = chunkIdentityFiles([file("a.yaml", 10), file("huge.yaml", 5_000), file("b.yaml", 10)], {
      maxBytes: 1_000,
    });
    expect(chunks.map((chunk) => chunk.map((f) => f.name))).toEqual([["a.yaml"], ["huge.yaml"], ["b.yaml"]]);
  });
});

describe("mergeImportReports", () => {
  it("sums totals and keeps every file report", () => {
    const a = {
      files: [{ file: "a", agents: [{ name: "x", outcome: "created" as const }] }],
      totals: { created: 1, updated: 0, unchanged: 0, rejected: 0 },
    };
    const b = {
      files: [{ file: "b", agents: [], error: "bad" }],
      totals: { created: 0, updated: 2, unchanged: 1, rejected: 3 },
    };
    const merged = mergeImportReports(mergeImportReports(emptyImportReport(), a), b);
    expect(merged.totals).toEqual({ created: 1, updated: 2, unchanged: 1, rejected: 3 });
    expect(merged.files.map((f) => f.file)).toEqual(["a", "b"]);
  });
});
