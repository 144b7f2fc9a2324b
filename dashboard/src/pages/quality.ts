// How good a trained model is, beyond its lineage: a classifier's confusion matrix and a
// forecaster's MASE beside its naive / seasonal-naive / drift baselines.
import { barChart } from "../charts";
import { num } from "../format";
import type { ConfusionMatrix, Metric } from "../types";
import { h, table } from "../ui";

/** Tables wider than this many labels are summarised by their largest confusions instead. */
const MAX_DRAWN_LABELS = 30;

/** The cell's background: white (none) to #60a5fa (all of its row); text stays dark (contrast ≥ 7). */
function heat(share: number): string {
  const mix = (to: number) => Math.round(255 + (to - 255) * share);
  return `background-color: rgb(${mix(0x60)}, ${mix(0xa5)}, ${mix(0xfa)})`;
}

/** The confusion matrix as a table (rows: true label, columns: predicted), shaded by row share. */
export function confusionMatrix(c: ConfusionMatrix): HTMLElement {
  const labels = c.labels ?? [];
  const k = labels.length;
  const counts = (c.counts ?? []).map(Number);
  const total = counts.reduce((a, b) => a + b, 0);
  const correct = labels.reduce((a, _, i) => a + (counts[i * k + i] ?? 0), 0);
  const title = `Confusion matrix (${c.split || "validation"} split, ${total} examples, ${correct} right: accuracy ${num(total ? correct / total : 0)})`;
  if (k > MAX_DRAWN_LABELS) {
    const off: Array<[number, number, number]> = [];
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j && counts[i * k + j]) off.push([counts[i * k + j], i, j]);
    off.sort((a, b) => b[0] - a[0]);
    return h("section", { id: "confusion", "aria-label": "Confusion matrix" }, h("h2", {}, "Confusion matrix"), h("p", {}, title),
      h("p", {}, `${k} labels: the 20 most frequent confusions.`),
      table(["True label", "Predicted", "Examples"], off.slice(0, 20).map(([n, i, j]) => [labels[i], labels[j], n]), "Most frequent confusions"));
  }
  const rows = labels.map((truth, i) => {
    const rowTotal = labels.reduce((a, _, j) => a + (counts[i * k + j] ?? 0), 0);
    return h("tr", {},
      h("th", { scope: "row" }, truth),
      ...labels.map((predicted, j) => {
        const n = counts[i * k + j] ?? 0;
        return h("td", {
          class: i === j ? "diagonal" : "",
          style: heat(rowTotal ? n / rowTotal : 0),
          title: `${n} of ${rowTotal} examples labelled ${truth} predicted ${predicted}`,
        }, String(n));
      }),
      h("td", { class: "row-total" }, String(rowTotal)));
  });
  return h("section", { id: "confusion", "aria-label": "Confusion matrix" },
    h("h2", {}, "Confusion matrix"),
    h("div", { class: "table-wrap" },
      h("table", { class: "confusion" },
        h("caption", {}, title),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "true \\ predicted"), ...labels.map((l) => h("th", { scope: "col" }, l)), h("th", { scope: "col" }, "total"))),
        h("tbody", {}, ...rows))));
}

const BASELINES: Array<[string, string]> = [["naive", "naive (last value)"], ["seasonal_naive", "seasonal naive"], ["drift", "drift"]];

/**
 * A forecasting model's MASE, MAE and RMSE beside its baselines' (the job's final metrics:
 * mase / baseline.<name>.mase …, on the validation split, or train without one); null when the
 * model has no MASE.
 */
export function forecastBaselines(metrics: Metric[]): { el: HTMLElement; destroy: () => void } | null {
  const finals = metrics.filter((m) => !m.epoch);
  const value = (name: string) => finals.find((m) => m.name === name)?.value;
  const mase = value("mase");
  if (mase === undefined) return null;
  type Row = [string, number | undefined, number | undefined, number | undefined];
  const model: Row = ["this model", mase, value("mae"), value("rmse")];
  const rows: Row[] = [model, ...BASELINES.map(([id, label]): Row => [label, value(`baseline.${id}.mase`), value(`baseline.${id}.mae`), value(`baseline.${id}.rmse`)])]
    .filter((r) => r[1] !== undefined);
  const baselines = rows.slice(1);
  const best = baselines.reduce<Row | null>((b, r) => (b === null || (r[1] ?? Infinity) < (b[1] ?? Infinity) ? r : b), null);
  const split = finals.find((m) => m.name === "mase")?.split ?? "validation";
  const season = value("baseline.season_length");
  const verdict = best
    ? mase < (best[1] ?? Infinity)
      ? `The model beats every baseline: MASE ${num(mase)} against ${num(best[1])} for ${best[0]}, the best of them.`
      : `The model does not beat ${best[0]}: MASE ${num(mase)} against ${num(best[1])}; transfer did not pay off here.`
    : "";
  const chart = barChart("MASE (lower is better)", rows.map((r) => r[0]), rows.map((r) => r[1] ?? 0), "MASE");
  const el = h("section", { id: "forecast", "aria-label": "Forecast against baselines" },
    h("h2", {}, "Forecast against baselines"),
    h("p", { id: "forecast-verdict" }, verdict),
    table(["Forecast", "MASE", "MAE", "RMSE"], rows.map((r) => [r[0], num(r[1]), num(r[2]), num(r[3])]),
      `MASE, MAE and RMSE on the ${split} split`),
    h("p", { class: "note" }, `On the ${split} split. MASE below 1 beats the in-sample naive forecast.${season !== undefined ? ` Season length ${season}${season <= 1 ? " (none: seasonal naive = naive)" : ""}.` : ""}`),
    chart.el);
  return { el, destroy: chart.destroy };
}
