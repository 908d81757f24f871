"use client";
import { useEffect, useRef, useState, type ReactNode } from "react";

interface VirtualRowsProps {
  count: number;
  rowHeight: number;
  /** Rows rendered beyond each edge of the visible window. */
  overscan?: number;
  /** Called when the last rows come within `endThreshold` rows of view. */
  onEndReached?: () => void;
  endThreshold?: number;
  /** Changes when the rows are replaced (new filters): scrolls back to the top. */
  resetKey?: string;
  renderRow(index: number, style: { top: number; height: number }): ReactNode;
  label: string;
  header: ReactNode;
}

/**
 * Tiny fixed-row-height windowing: a scroll container whose inner box is as tall as all rows, with
 * only the rows in (and just around) the visible window mounted, each absolutely positioned.
 */
export function VirtualRows({
  count,
  rowHeight,
  overscan = 8,
  onEndReached,
  endThreshold = 20,
  resetKey,
  renderRow,
  label,
  header,
}: VirtualRowsProps) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);

  useEffect(() => {
    const node = box.current;
    if (!node) return;
    const observer = new ResizeObserver(() => setViewport(node.clientHeight));
    observer.observe(node);
    setViewport(node.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (box.current) box.current.scrollTop = 0;
    setScrollTop(0);
  }, [resetKey]);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);

  useEffect(() => {
    if (onEndReached && count > 0 && last >= count - endThreshold) onEndReached();
  }, [last, count, endThreshold, onEndReached]);

  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) rows.push(renderRow(i, { top: i * rowHeight, height: rowHeight }));

  return (
    <div
      ref={box}
      className="vlist"
      role="table"
      aria-label={label}
      aria-rowcount={count + 1}
      tabIndex={0}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      {header}
      <div className="vlist-body" role="rowgroup" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
