import path from "node:path";
import type { NextConfig } from "next";

const repoRoot = path.join(import.meta.dirname, "../..");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@tower/shared"],
  // `pnpm typecheck` runs tsc; the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  experimental: {
    // Merge a route's small client chunks into a few larger ones: the dashboard is one app whose
    // routes share almost all their code, and gzip compresses one chunk better than several.
    turbopackChunking: { minChunkSize: 1_000_000 },
  },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default config;
