import assert from "node:assert/strict";
import { benchPlotSvg, type PlotData } from "../../tools/bench_sched/svg_plot.ts";

function data(): PlotData {
  const h = (scale: number) => ({
    buckets: new Map(Array.from({ length: 1000 }, (_, i) => [(i + 1) * scale, 1] as [number, number])),
    overflow: 0,
    maxUs: 1000 * scale,
  });
  return {
    title: "A & B <test>",
    curves: {
      title: "latency",
      series: [
        { label: "EEVDF", color: "#4477aa", histogram: h(10) },
        { label: "gamer", color: "#ee7733", histogram: h(2), dashed: true },
        { label: "empty", color: "#000000", histogram: { buckets: new Map(), overflow: 0, maxUs: 0 } },
      ],
    },
    bars: {
      title: "bars",
      groups: ["p50", "p99", "p99.9"],
      series: [
        { label: "EEVDF", color: "#4477aa", values: [100, 1000, 5000] },
        { label: "gamer", color: "#ee7733", values: [50, null, 2500] },
      ],
    },
  };
}

Deno.test("benchPlotSvg draws one curve per non-empty series and one bar per value", () => {
  const svg = benchPlotSvg(data());
  assert.ok(svg.startsWith("<svg xmlns="));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  assert.equal(svg.match(/<rect x=/g)?.length, 5);
  assert.equal(svg.match(/stroke-dasharray/g)?.length, 2, "the dashed curve and its legend entry");
});

Deno.test("benchPlotSvg escapes text and labels the log axis in us/ms", () => {
  const svg = benchPlotSvg(data());
  assert.match(svg, /A &amp; B &lt;test&gt;/);
  assert.doesNotMatch(svg, /<test>/);
  assert.match(svg, />10 ms</);
  assert.match(svg, />99\.9%</);
});

Deno.test("benchPlotSvg with no data still makes a valid document with the titles", () => {
  const svg = benchPlotSvg({
    title: "t",
    curves: { title: "c", series: [] },
    bars: { title: "b", groups: [], series: [] },
  });
  assert.match(svg, /<svg[\s\S]*>c<[\s\S]*>b<[\s\S]*<\/svg>/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

Deno.test("benchPlotSvg never writes NaN or Infinity into coordinates", () => {
  assert.doesNotMatch(benchPlotSvg(data()), /NaN|Infinity/);
});
