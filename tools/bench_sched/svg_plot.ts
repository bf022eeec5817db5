/**
 * The benchmark's plot as a self-contained SVG string (no plotting tool needed): on the left the
 * latency-by-percentile curves of cyclictest per scheduler (pooled over rounds; x on a "nines" scale so
 * the tail is visible, y logarithmic), on the right grouped bars of one set of gamesim percentiles.
 *
 * @module
 */

import { histogramCount, histogramQuantile, type LatencyHistogram } from "./percentiles.ts";

/** One curve of the percentile panel. */
export interface CurveSeries {
  label: string;
  color: string;
  /** Dashed line (e.g. a secondary measurement). */
  dashed?: boolean;
  histogram: LatencyHistogram;
}

/** One bar series of the bar panel: one value per group, us (null: no bar). */
export interface BarSeries {
  label: string;
  color: string;
  values: readonly (number | null)[];
}

/** Everything drawn. */
export interface PlotData {
  title: string;
  curves: { title: string; series: readonly CurveSeries[] };
  bars: { title: string; groups: readonly string[]; series: readonly BarSeries[] };
}

const W = 960;
const H = 420;
const PANEL = { top: 60, bottom: 60, height: H - 120 };
const LEFT = { x: 70, width: 390 };
const RIGHT = { x: 560, width: 370 };

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function fmtUs(us: number): string {
  if (us >= 1e6) return `${us / 1e6} s`;
  if (us >= 1e3) return `${us / 1e3} ms`;
  return `${us} us`;
}

/** Log-10 range covering [lo, hi] in whole decades (at least one decade). */
function decades(lo: number, hi: number): [number, number] {
  const a = Math.floor(Math.log10(Math.max(lo, 1)));
  const b = Math.max(a + 1, Math.ceil(Math.log10(Math.max(hi, 1))));
  return [a, b];
}

function yAxis(x: number, width: number, range: [number, number], out: string[]): (us: number) => number {
  const [a, b] = range;
  const y = (us: number) =>
    PANEL.top + PANEL.height - ((Math.log10(Math.max(us, 10 ** a)) - a) / (b - a)) * PANEL.height;
  for (let d = a; d <= b; d++) {
    const yy = y(10 ** d).toFixed(1);
    out.push(`<line x1="${x}" x2="${x + width}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(
      `<text x="${x - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmtUs(10 ** d)}</text>`,
    );
  }
  return y;
}

function legend(
  x: number,
  y: number,
  items: { label: string; color: string; dashed?: boolean }[],
  out: string[],
) {
  items.forEach((it, i) => {
    const yy = y + i * 16;
    const dash = it.dashed ? ` stroke-dasharray="5,3"` : "";
    out.push(
      `<line x1="${x}" x2="${x + 18}" y1="${yy}" y2="${yy}" stroke="${it.color}" stroke-width="3"${dash}/>`,
    );
    out.push(`<text x="${x + 24}" y="${yy}" dominant-baseline="middle">${esc(it.label)}</text>`);
  });
}

function curvePanel(data: PlotData["curves"], out: string[]): void {
  const { x, width } = LEFT;
  const series = data.series.filter((s) => histogramCount(s.histogram) > 0);
  out.push(
    `<text x="${x + width / 2}" y="${PANEL.top - 12}" text-anchor="middle" font-weight="bold">${
      esc(data.title)
    }</text>`,
  );
  if (series.length === 0) return;
  // The x range stops where the smallest series still has a sample beyond the percentile.
  const nines = Math.max(
    1,
    Math.min(4, Math.floor(Math.log10(Math.min(...series.map((s) => histogramCount(s.histogram)))))),
  );
  const lo = Math.min(...series.map((s) => histogramQuantile(s.histogram, 0)!));
  const hi = Math.max(...series.map((s) => s.histogram.maxUs));
  const y = yAxis(x, width, decades(lo, hi), out);
  const px = (n: number) => x + (n / nines) * width;
  for (let n = 0; n <= nines; n++) {
    const label = n === 0 ? "0%" : `${(100 * (1 - 10 ** -n)).toFixed(Math.max(0, n - 2))}%`;
    out.push(
      `<line x1="${px(n)}" x2="${px(n)}" y1="${PANEL.top}" y2="${PANEL.top + PANEL.height}" stroke="#eee"/>`,
    );
    out.push(`<text x="${px(n)}" y="${PANEL.top + PANEL.height + 16}" text-anchor="middle">${label}</text>`);
  }
  out.push(
    `<text x="${x + width / 2}" y="${PANEL.top + PANEL.height + 36}" text-anchor="middle">percentile</text>`,
  );
  for (const s of series) {
    const points: string[] = [];
    for (let n = 0; n <= nines * 50; n++) {
      const q = 1 - 10 ** (-n / 50);
      const v = histogramQuantile(s.histogram, q)!;
      points.push(`${px(n / 50).toFixed(1)},${y(v).toFixed(1)}`);
    }
    const dash = s.dashed ? ` stroke-dasharray="5,3"` : "";
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points.join(" ")}"/>`,
    );
  }
  // Lower right: the curves rise to the right, so that corner stays clear.
  legend(x + width - 230, PANEL.top + PANEL.height - 12 - 16 * (series.length - 1), series, out);
}

function barPanel(data: PlotData["bars"], out: string[]): void {
  const { x, width } = RIGHT;
  out.push(
    `<text x="${x + width / 2}" y="${PANEL.top - 12}" text-anchor="middle" font-weight="bold">${
      esc(data.title)
    }</text>`,
  );
  const values = data.series.flatMap((s) => s.values).filter((v): v is number => v !== null && v > 0);
  if (values.length === 0) return;
  const range = decades(Math.min(...values), Math.max(...values));
  const y = yAxis(x, width, range, out);
  const groupW = width / data.groups.length;
  const barW = (groupW * 0.8) / data.series.length;
  const base = PANEL.top + PANEL.height;
  data.groups.forEach((g, gi) => {
    const gx = x + gi * groupW + groupW * 0.1;
    out.push(`<text x="${gx + groupW * 0.4}" y="${base + 16}" text-anchor="middle">${esc(g)}</text>`);
    data.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || !(v > 0)) return;
      const top = y(v);
      out.push(
        `<rect x="${(gx + si * barW).toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" ` +
          `height="${(base - top).toFixed(1)}" fill="${s.color}"><title>${esc(s.label)} ${esc(g)}: ${
            v.toFixed(0)
          } us</title></rect>`,
      );
    });
  });
  legend(x + 10, PANEL.top + 10, data.series.map((s) => ({ label: s.label, color: s.color })), out);
}

/**
 * Render the two panels as one SVG document.
 *
 * @example
 * ```ts
 * const svg = benchPlotSvg({ title: "t", curves: { title: "c", series: [] }, bars: { title: "b", groups: [], series: [] } });
 * svg.startsWith("<svg"); // true
 * ```
 */
export function benchPlotSvg(data: PlotData): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${
      esc(data.title)
    }</text>`,
  ];
  curvePanel(data.curves, out);
  barPanel(data.bars, out);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
