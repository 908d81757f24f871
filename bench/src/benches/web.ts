/** 7. Dashboard first-load JavaScript per route, gzipped, from a fresh production build (see web-bundle.ts). */
import { add, atMost } from "../results";
import { analyzeWebBundle, WEB_BUNDLE_TARGET_KB } from "../web-bundle";

export async function benchWeb() {
  const B = "7. dashboard";
  // Built afresh (a stale .next would measure old code); sizes do not vary between runs, so once.
  for (const { route, kB } of analyzeWebBundle({ build: true })) {
    add(B, `first-load JS ${route}`, "kB gzip", kB, atMost(WEB_BUNDLE_TARGET_KB, "kB gzip"));
  }
}
