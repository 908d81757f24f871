import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { THEME_COLORS, THEME_SCRIPT } from "~/ui/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Tower", template: "%s · Tower" },
  description: "Self-hosted control plane for AI agents",
  applicationName: "Tower",
  icons: { icon: "/icons/icon-192.png", apple: "/icons/icon-192.png" },
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  // The header's surface colour in each theme, so the browser's bar joins it. These follow the
  // device; a theme chosen in Settings overrides both (THEME_SCRIPT, src/ui/theme.ts).
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: THEME_COLORS.light },
    { media: "(prefers-color-scheme: dark)", color: THEME_COLORS.dark },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // The theme script sets data-theme (and the theme-color metas) before React hydrates.
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* Before the first paint: the theme chosen in Settings, so the page never flashes the other one. */}
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
