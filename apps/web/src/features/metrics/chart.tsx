"use client";
import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** One value per x; null leaves a gap. */
  values: (number | null)[];
  /** A CSS colour, or a custom property name such as `--accent`. */
  color: string;
  /** Draw each point, so a lone value between gaps (e.g. latency) is still visible. */
  points?: boolean;
}

interface ChartProps {
  title: string;
  /** Bucket starts, epoch milliseconds. */
  x: number[];
  series: ChartSeries[];
  format?: (value: number) => string;
  height?: number;
}

/**
 * A colour the canvas can use. A custom property is resolved through an element inside `node`:
 * the theme's are light-dark() pairs (globals.css), which only an element's computed colour settles.
 */
function cssColor(color: string, node: HTMLElement): string {
  if (!color.startsWith("--")) return color;
  const probe = document.createElement("span");
  probe.style.color = `var(${color}, #888)`;
  node.append(probe);
  const resolved = getComputedStyle(probe).color;
  probe.remove();
  return resolved;
}

const DARK = "(prefers-color-scheme: dark)";

/**
 * A uPlot line chart that fills its container's width (a ResizeObserver keeps it in step on
 * narrow screens) and takes its colours from the theme's custom properties, so it follows the theme.
 */
export function Chart({ title, x, series, format, height = 200 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const fmt = useRef(format);
  useEffect(() => {
    fmt.current = format;
  }, [format]);

  // The data as uPlot wants it: seconds on x, one array per series.
  const data = [x.map((ms) => ms / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData;
  const shape = series.map((s) => `${s.label}|${s.color}|${s.points ? 1 : 0}`).join(",");
  const latest = useRef(data);

  useEffect(() => {
    const node = box.current;
    if (!node) return;
    let disposed = false;
    let observer: ResizeObserver | undefined;
    const dark = window.matchMedia(DARK);

    async function build() {
      const { default: UPlot } = await import("uplot");
      if (disposed || !node) return;
      plot.current?.destroy();
      const muted = cssColor("--muted", node);
      const grid = cssColor("--border", node);
      const axis: uPlot.Axis = {
        stroke: muted,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
      };
      const opts: uPlot.Options = {
        width: Math.max(node.clientWidth, 200),
        height,
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          axis,
          {
            ...axis,
            size: 60,
            values: (_u, ticks) => ticks.map((v) => (fmt.current ? fmt.current(v) : String(v))),
          },
        ],
        series: [
          {},
          ...series.map((s) => {
            const stroke = cssColor(s.color, node);
            return {
              label: s.label,
              stroke,
              width: 2,
              spanGaps: false,
              points: s.points ? { show: true, size: 5, fill: stroke } : { show: false },
              value: (_u: uPlot, v: number | null) => (v === null ? "—" : fmt.current ? fmt.current(v) : String(v)),
            };
          }),
        ],
      };
      plot.current = new UPlot(opts, latest.current, node);
      observer?.disconnect();
      observer = new ResizeObserver(() => {
        const width = Math.max(node.clientWidth, 200);
        if (plot.current && plot.current.width !== width) plot.current.setSize({ width, height });
      });
      observer.observe(node);
    }

    void build();
    // Redrawn in the other theme's colours when the device's changes or one is chosen in Settings.
    const rebuild = () => void build();
    dark.addEventListener("change", rebuild);
    const chosen = new MutationObserver(rebuild);
    chosen.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => {
      disposed = true;
      dark.removeEventListener("change", rebuild);
      chosen.disconnect();
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change shape; new data goes through setData below.
  }, [shape, height]);

  useEffect(() => {
    latest.current = data;
    plot.current?.setData(data);
  });

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" role="img" aria-label={`${title} chart`} />
    </figure>
  );
}
