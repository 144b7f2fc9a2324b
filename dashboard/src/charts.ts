// Charts with uPlot: a job's metric curves (one chart per metric, one line per split) and bars.
import uPlot from "uplot";
import type { Metric } from "./types";
import { h } from "./ui";

const COLORS: Record<string, string> = { train: "#2563eb", validation: "#ea580c", test: "#16a34a" };
const FALLBACK = ["#7c3aed", "#db2777", "#0891b2"];

function width(el: HTMLElement): number {
  return Math.max(260, Math.min(720, el.clientWidth || 600));
}

interface Curves {
  epochs: number[];
  splits: string[];
  values: Map<string, Map<number, number>>;
}

/** A training phase's stretch of the x axis (a job of several phases numbers epochs from 1 in each). */
export interface PhaseSpan { name: string; from: number; to: number }

/**
 * The x position of each per-epoch metric: its epoch for a single-phase job; for a job with
 * phases, epochs are counted on across phases in the order they were measured (phase 1's epochs
 * 1..n, then phase 2's from n+1), so every phase has its own stretch of one axis.
 */
export function positions(metrics: Metric[]): { x: (m: Metric) => number; phases: PhaseSpan[] } {
  if (!metrics.some((m) => m.phase)) return { x: (m) => m.epoch ?? 0, phases: [] };
  const at = new Map<string, number>();
  const phases: PhaseSpan[] = [];
  const key = (m: Metric) => `${m.phase ?? ""}\u0000${m.epoch}`;
  for (const m of metrics) {
    if (!m.epoch || at.has(key(m))) continue;
    const x = at.size + 1;
    at.set(key(m), x);
    const last = phases[phases.length - 1];
    if (last && last.name === (m.phase ?? "")) last.to = x;
    else phases.push({ name: m.phase ?? "", from: x, to: x });
  }
  return { x: (m) => at.get(key(m)) ?? 0, phases };
}

/** Per-epoch metrics grouped by metric name (final metrics, epoch 0, are left out). */
export function curves(metrics: Metric[]): Map<string, Curves> {
  const out = new Map<string, Curves>();
  const { x } = positions(metrics);
  for (const m of metrics) {
    if (!m.epoch) continue;
    let c = out.get(m.name);
    if (!c) out.set(m.name, (c = { epochs: [], splits: [], values: new Map() }));
    const split = m.split || "train";
    let s = c.values.get(split);
    if (!s) {
      c.values.set(split, (s = new Map()));
      c.splits.push(split);
    }
    s.set(x(m), m.value ?? 0); // proto3 JSON leaves out zeros
  }
  for (const c of out.values()) {
    const all = new Set<number>();
    for (const s of c.values.values()) for (const e of s.keys()) all.add(e);
    c.epochs = [...all].sort((a, b) => a - b);
  }
  return out;
}

/** Live curves for a job: call update() with the job's per-epoch history on every WatchJob event. */
export class MetricCharts {
  readonly phaseNote = h("p", { class: "phases" });
  private readonly grid = h("div", { class: "charts" });
  readonly el = h("div", {}, this.phaseNote, this.grid);
  private plots = new Map<string, { plot: uPlot; splits: string; box: HTMLElement }>();
  private observer = new ResizeObserver(() => {
    for (const p of this.plots.values()) p.plot.setSize({ width: width(p.box), height: 220 });
  });

  constructor() {
    this.observer.observe(this.el);
  }

  update(metrics: Metric[]): void {
    const spans = positions(metrics).phases;
    this.phaseNote.textContent = spans.length
      ? `Phases: ${spans.map((p) => `${p.name || "(unnamed)"} (epochs ${p.from}–${p.to} on the axis)`).join(", ")}`
      : "";
    const all = curves(metrics);
    const names = [...all.keys()].sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : a.localeCompare(b)));
    for (const name of names) {
      const c = all.get(name)!;
      const data: uPlot.AlignedData = [c.epochs, ...c.splits.map((s) => c.epochs.map((e) => c.values.get(s)!.get(e) ?? null))];
      const existing = this.plots.get(name);
      if (existing && existing.splits === c.splits.join()) {
        existing.plot.setData(data);
      } else {
        existing?.plot.destroy();
        existing?.box.remove();
        const box = h("figure", { class: "chart", "data-metric": name }, h("figcaption", {}, name.replace("_", " ")));
        this.grid.append(box);
        const plot = new uPlot(
          {
            width: width(box),
            height: 220,
            scales: { x: { time: false } },
            axes: [{ label: spans.length ? "epoch (phases one after another)" : "epoch" }, { label: name, size: 60 }],
            series: [
              { label: "epoch" },
              ...c.splits.map((s, i) => ({ label: s, stroke: COLORS[s] ?? FALLBACK[i % FALLBACK.length], width: 2, spanGaps: true })),
            ],
          },
          data,
          box,
        );
        this.plots.set(name, { plot, splits: c.splits.join(), box });
      }
      const box = this.plots.get(name)!.box;
      box.dataset.points = String(c.epochs.length);
      box.setAttribute("aria-label", `${name} by epoch: ${c.splits.map((s) => `${s} ${last(c.values.get(s)!)}`).join(", ")}`);
    }
  }

  destroy(): void {
    this.observer.disconnect();
    for (const p of this.plots.values()) p.plot.destroy();
    this.plots.clear();
  }
}

function last(m: Map<number, number>): string {
  let e = -1;
  for (const k of m.keys()) e = Math.max(e, k);
  return e < 0 ? "" : Number(m.get(e)!.toPrecision(4)).toString();
}

/** A bar chart of labelled counts (e.g. a dataset's examples per label). */
export function barChart(title: string, labels: string[], counts: number[], unit = "examples"): { el: HTMLElement; destroy: () => void } {
  const box = h("figure", { class: "chart bars", role: "img", "aria-label": `${title}: ${labels.map((l, i) => `${l} ${Number.isInteger(counts[i]) ? counts[i] : Number(counts[i].toPrecision(4))}`).join(", ")}` }, h("figcaption", {}, title));
  const xs = labels.map((_, i) => i);
  let plot: uPlot | null = null;
  // uPlot needs a laid-out width: draw once the box is in the document.
  requestAnimationFrame(() => {
    plot = new uPlot(
      {
        width: width(box),
        height: 220,
        legend: { show: false },
        scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, unit === "examples" ? Math.max(1, max * 1.1) : max * 1.1 || 1] } },
        axes: [
          { splits: () => xs, values: (_u, vals) => vals.map((v) => labels[v] ?? "") },
          { label: unit, size: 60 },
        ],
        series: [{}, { label: unit, fill: "#2563eb99", stroke: "#2563eb", paths: uPlot.paths.bars!({ size: [0.6, 80] }), points: { show: false } }],
      },
      [xs, counts],
      box,
    );
  });
  return { el: box, destroy: () => plot?.destroy() };
}
