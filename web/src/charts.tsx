// Hand-made SVG charts: horizontal bars (tag frequencies) and column histograms with an optional
// marker line (kohya's 75-token cut). Colours come from CSS variables so both themes work.

export interface Bar {
  label: string;
  value: number;
  title?: string;
  onClick?: () => void;
}

export function HBars({ bars, label, width = 860 }: { bars: Bar[]; label: string; width?: number }) {
  const rowH = 20;
  const labelW = 190;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const h = bars.length * rowH + 4;
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${h}`} width={width} height={h} role="img" aria-label={label}>
      {bars.map((b, i) => {
        const w = ((width - labelW - 60) * b.value) / max;
        const y = i * rowH + 2;
        return (
          <g key={b.label} class={b.onClick ? 'clickable' : ''} onClick={b.onClick}>
            <title>{b.title ?? `${b.label}: ${b.value}`}</title>
            <text x={labelW - 6} y={y + 14} text-anchor="end" class="c-label">
              {b.label.length > 28 ? b.label.slice(0, 27) + '…' : b.label}
            </text>
            <rect x={labelW} y={y + 3} width={Math.max(1, w)} height={rowH - 6} rx={2} class="c-bar" />
            <text x={labelW + w + 6} y={y + 14} class="c-value">{b.value}</text>
          </g>
        );
      })}
    </svg>
  );
}

export interface Bin {
  label: string;
  count: number;
}

// Columns for histogram bins; `markAt` draws a dashed line before the first bin whose lower bound is
// greater than it (e.g. 75 tokens).
export function Histogram({ bins, label, markAt, markLabel }: { bins: Bin[]; label: string; markAt?: number; markLabel?: string }) {
  const width = 520;
  const height = 200;
  const bottom = 36;
  const top = 14;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const colW = bins.length ? (width - 20) / bins.length : 0;
  let mark = -1;
  if (markAt !== undefined) {
    mark = bins.findIndex((b) => {
      const m = /^(\d+)/.exec(b.label);
      return m !== null && Number(m[1]) > markAt;
    });
    if (mark < 0) mark = bins.length;
  }
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={label}>
      {bins.map((b, i) => {
        const h = ((height - bottom - top) * b.count) / max;
        const x = 10 + i * colW;
        const over = mark >= 0 && i >= mark;
        return (
          <g key={b.label}>
            <title>{`${b.label}: ${b.count}`}</title>
            <rect x={x + 2} y={height - bottom - h} width={Math.max(1, colW - 4)} height={h} rx={2} class={over ? 'c-bar over' : 'c-bar'} />
            {b.count > 0 && (
              <text x={x + colW / 2} y={height - bottom - h - 3} text-anchor="middle" class="c-value">{b.count}</text>
            )}
            <text x={x + colW / 2} y={height - bottom + 14} text-anchor="middle" class="c-label small">{b.label}</text>
          </g>
        );
      })}
      {mark >= 0 && (
        <g class="c-mark">
          <line x1={10 + mark * colW} x2={10 + mark * colW} y1={top - 10} y2={height - bottom + 2} />
          <text x={10 + mark * colW + 4} y={top} class="c-label">{markLabel ?? `${markAt}`}</text>
        </g>
      )}
      <line x1={10} x2={width - 10} y1={height - bottom} y2={height - bottom} class="c-axis" />
    </svg>
  );
}
