/**
 * Why the web server refuses a request's target before Next.js sees it, or null. Next answers some
 * with a 500 and no security headers (`OPTIONS *`, a path with a malformed percent-escape such as
 * `/approve/%ff`), and one with a redirect off-site (the absolute form, `GET http://elsewhere/login`).
 */
export function requestTargetProblem(url: string | undefined): string | null {
  if (!url?.startsWith("/")) return "The request target must be a path (such as /overview)";
  const path = url.split("?")[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return "The URL path has a malformed percent-escape (such as %ZZ)";
  }
  return null;
}
