// @ts-check
import { serwist } from "@serwist/next/config";

/**
 * The service worker's build (`serwist build`, run by `pnpm build` after `next build`: Serwist's
 * configurator mode, which works with Turbopack). It precaches the static pages Next prerendered,
 * the build's scripts and styles and public/; the worker itself is src/service-worker/sw.ts.
 */
export default serwist({
  swSrc: "src/service-worker/sw.ts",
  swDest: "public/sw.js",
  // The precache's revisions come from each file's content: the build's own, no git needed.
  globIgnores: ["public/sw.js.map"],
});
