/// <reference lib="dom" />
import uPlot from "uplot";

/**
 * The two chart kinds of the dashboard, both uPlot (small, canvas, fast at thousands of points):
 * a bar chart of block voltages with threshold lines, and time-series charts with drag-to-zoom range selection.
 */

export const COLORS = {
  ok: "#2f9e6e",
  warning: "#e0a800",
  alarm: "#d64545",
  stale: "#9aa5b1",
  line: "#2563eb",
  band: "rgba(37, 99, 235, 0.12)",
  grid: "#e6e9ee",
  axis: "#52606d",
} as const;

export interface ThresholdLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
}

function thresholdPlugin(lines: () => readonly ThresholdLine[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { left, width, top, height } = u.bbox;
          ctx.save();
          ctx.lineWidth = 1.5 * uPlot.pxRatio;
          ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
          ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
          const px = uPlot.pxRatio;
          for (const line of lines()) {
            const y = Math.round(u.valToPos(line.value, "y", true));
            if (y < top || y > top + height) continue;
            ctx.strokeStyle = line.color;
            ctx.fillStyle = line.color;
            ctx.beginPath();
            ctx.moveTo(left, y);
            ctx.lineTo(left + width, y);
            ctx.stroke();
            // Alarm labels sit at the right end, warning labels at the left, so close levels do not overlap.
            const alarm = line.color === COLORS.alarm;
            ctx.textAlign = alarm ? "right" : "left";
            const x = alarm ? left + width - 4 * px : left + 4 * px;
            const above = line.label.startsWith("high") || !line.label.startsWith("low");
            ctx.textBaseline = above ? "bottom" : "top";
            ctx.fillText(`${line.label} ${line.value}`, x, above ? y - 3 * px : y + 3 * px);
          }
          ctx.restore();
        },
      ],
    },
  };
}

const axis = (label?: string): uPlot.Axis => ({
  stroke: COLORS.axis,
  grid: { stroke: COLORS.grid, width: 1 },
  ticks: { stroke: COLORS.grid, width: 1 },
  ...(label ? { label, labelSize: 20 } : {}),
});

export type BarStatus = "ok" | "warning" | "alarm" | "stale";

/**
 * Block voltages as bars, coloured by status, with the threshold lines drawn across. The y range spans the values
 * and the thresholds so a block just over a line is visibly over it.
 */
export class BlockVoltageChart {
  private plot: uPlot | undefined;
  private lines: readonly ThresholdLine[] = [];
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private readonly onPick?: (index: number) => void,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
  }

  update(
    blocks: readonly number[],
    voltages: readonly number[],
    status: readonly BarStatus[],
    lines: readonly ThresholdLine[],
  ): void {
    this.lines = lines;
    const bySeries = (wanted: BarStatus) =>
      voltages.map((v, i) => (status[i] === wanted && Number.isFinite(v) ? v : null));
    const data: uPlot.AlignedData = [
      Float64Array.from(blocks),
      bySeries("ok"),
      bySeries("warning"),
      bySeries("alarm"),
      bySeries("stale"),
    ];
    if (!this.plot) {
      this.plot = this.create(data);
    } else {
      this.plot.setData(data);
    }
  }

  private yRange(): uPlot.Range.Function {
    return (u, dataMin, dataMax) => {
      const values = [dataMin, dataMax, ...this.lines.map((l) => l.value)].filter((v) => Number.isFinite(v));
      if (values.length === 0) return [0, 1];
      const low = Math.min(...values);
      const high = Math.max(...values);
      const pad = Math.max((high - low) * 0.08, 0.01);
      void u;
      return [low - pad, high + pad];
    };
  }

  private create(data: uPlot.AlignedData): uPlot {
    const bars = uPlot.paths.bars?.({ size: [0.8, 40], gap: 1 });
    const series = (label: string, color: string): uPlot.Series => ({
      label,
      fill: color,
      stroke: color,
      width: 0,
      points: { show: false },
      ...(bars ? { paths: bars } : {}),
    });
    const opts: uPlot.Options = {
      width: this.container.clientWidth || 800,
      height: 260,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: this.yRange() } },
      axes: [
        { ...axis("Block"), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
        { ...axis("V"), size: 60 },
      ],
      series: [
        {},
        series("normal", COLORS.ok),
        series("warning", COLORS.warning),
        series("alarm", COLORS.alarm),
        series("no data", COLORS.stale),
      ],
      plugins: [thresholdPlugin(() => this.lines)],
    };
    const plot = new uPlot(opts, data, this.container);
    plot.over.addEventListener("click", () => {
      const idx = plot.cursor.idx;
      if (idx !== null && idx !== undefined) this.onPick?.(idx);
    });
    return plot;
  }

  private resize(): void {
    if (this.plot && this.container.clientWidth > 0)
      this.plot.setSize({ width: this.container.clientWidth, height: 260 });
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
  }
}

export interface TimeSeries {
  /** ms since the epoch */
  readonly time: readonly number[];
  readonly avg: readonly (number | null)[];
  readonly min?: readonly (number | null)[];
  readonly max?: readonly (number | null)[];
}

/**
 * A history chart: average line with the min–max band when the data is bucketed. Dragging across the plot selects
 * a range (zoom); `onRange` reports it so the page can fetch that range at a finer resolution.
 */
export class HistoryChart {
  private plot: uPlot | undefined;
  private readonly resizeObserver: ResizeObserver;
  private lines: readonly ThresholdLine[] = [];

  constructor(
    private readonly container: HTMLElement,
    private readonly title: string,
    private readonly unit: string,
    private readonly onRange?: (fromMs: number, toMs: number) => void,
  ) {
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot && container.clientWidth > 0) this.plot.setSize({ width: container.clientWidth, height: 220 });
    });
    this.resizeObserver.observe(container);
  }

  /** `range` (ms) fixes the x axis to the requested period, so a sparse series is not stretched across it. */
  update(series: TimeSeries, lines: readonly ThresholdLine[] = [], range?: { from: number; to: number }): void {
    this.lines = lines;
    const x = series.time.map((t) => t / 1000);
    const withBand = series.min !== undefined && series.max !== undefined;
    const data: uPlot.AlignedData = withBand
      ? [x, series.avg.slice(), (series.min ?? []).slice(), (series.max ?? []).slice()]
      : [x, series.avg.slice()];
    this.plot?.destroy();
    this.plot = this.create(data, withBand);
    if (range) this.plot.setScale("x", { min: range.from / 1000, max: range.to / 1000 });
  }

  private create(data: uPlot.AlignedData, withBand: boolean): uPlot {
    const unit = this.unit;
    const fmt = (v: number | null) => (v === null || v === undefined ? "–" : `${v.toFixed(3)} ${unit}`);
    const series: uPlot.Series[] = [
      {},
      { label: `${this.title} (avg)`, stroke: COLORS.line, width: 2, value: (_u, v) => fmt(v), spanGaps: false },
    ];
    if (withBand) {
      series.push(
        { label: "min", stroke: "rgba(37,99,235,0.35)", width: 1, value: (_u, v) => fmt(v) },
        { label: "max", stroke: "rgba(37,99,235,0.35)", width: 1, value: (_u, v) => fmt(v) },
      );
    }
    const opts: uPlot.Options = {
      width: this.container.clientWidth || 800,
      height: 220,
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: {
        x: { time: true },
        y: {
          range: (_u, min, max) => {
            const values = [min, max, ...this.lines.map((l) => l.value)].filter((v) => Number.isFinite(v));
            if (values.length === 0) return [0, 1];
            const low = Math.min(...values);
            const high = Math.max(...values);
            const pad = Math.max((high - low) * 0.1, 0.01);
            return [low - pad, high + pad];
          },
        },
      },
      axes: [axis(), { ...axis(unit), size: 64 }],
      series,
      ...(withBand ? { bands: [{ series: [3, 2], fill: COLORS.band }] } : {}),
      plugins: [thresholdPlugin(() => this.lines)],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, "x") * 1000;
            const to = u.posToVal(u.select.left + u.select.width, "x") * 1000;
            this.onRange?.(from, to);
          },
        ],
      },
    };
    return new uPlot(opts, data, this.container);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
  }
}

/** Several lines over time on one y axis (discharge curves: string voltage; min and max block voltage). */
export class MultiLineChart {
  private plot: uPlot | undefined;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private readonly unit: string,
  ) {
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot && container.clientWidth > 0) this.plot.setSize({ width: container.clientWidth, height: 240 });
    });
    this.resizeObserver.observe(container);
  }

  update(
    timeMs: readonly number[],
    lines: readonly { label: string; color: string; values: readonly (number | null)[] }[],
  ): void {
    this.plot?.destroy();
    const unit = this.unit;
    const opts: uPlot.Options = {
      width: this.container.clientWidth || 800,
      height: 240,
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true } },
      axes: [axis(), { ...axis(unit), size: 64 }],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? "–" : `${v.toFixed(3)} ${unit}`),
        })),
      ],
    };
    this.plot = new uPlot(opts, [timeMs.map((t) => t / 1000), ...lines.map((l) => l.values.slice())], this.container);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
  }
}
