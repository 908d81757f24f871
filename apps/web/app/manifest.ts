import type { MetadataRoute } from "next";

export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "Tower",
    short_name: "Tower",
    description: "Self-hosted control plane for AI agents",
    start_url: "/overview",
    scope: "/",
    display: "standalone",
    // The default (light) theme: the splash screen is the page background and the title bar the
    // header's surface, as the viewport's light theme-color says. In dark mode the browser uses the
    // viewport's dark theme-color (app/layout.tsx); a manifest has one value for each.
    theme_color: "#ffffff",
    background_color: "#f6f7f9",
    icons: [
      { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
      { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
      { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
    ],
  };
}
