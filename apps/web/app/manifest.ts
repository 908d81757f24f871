import type { MetadataRoute } from "next";

export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "Tower",
    short_name: "Tower",
    description: "Self-hosted control plane for AI agents",
    start_url: "/overview",
    scope: "/",
    display: "standalone",
    theme_color: "#2f5bea",
    background_color: "#0f1217",
    icons: [
      { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
      { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
    ],
  };
}
