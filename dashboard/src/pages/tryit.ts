// Try it: a model, an input of its domain — text, an image (dropped or picked), or a pasted
// series — and Predict's top-k or values, or Extract's vector (its norm, first values).
import { call } from "../api";
import { num } from "../format";
import type { ExtractResponse, Model, PredictResponse } from "../types";
import { errorBox, h, progressBar, table } from "../ui";
import { modelRef } from "./models";
import { ImageInput, SeriesInput, TextInput, type TryInput } from "./tryinputs";

/** Every model, a page of 100 at a time: `onPage` gets each page as it arrives (at most 100 pages). */
async function eachModelPage(onPage: (models: Model[]) => void, signal: AbortSignal): Promise<void> {
  let pageToken = "";
  for (let i = 0; i < 100 && !signal.aborted; i++) {
    const r = await call<{ models?: Model[]; nextPageToken?: string }>("graft.v1.ModelService/ListModels", { pageSize: 100, pageToken }, signal);
    onPage(r.models ?? []);
    if (!r.nextPageToken) break;
    pageToken = r.nextPageToken;
  }
}

function predictResult(r: PredictResponse): HTMLElement {
  const p = r.predictions[0] ?? {};
  if (p.values?.length) {
    return h("div", { id: "result" },
      h("p", {}, `Answered by ${r.model ?? ""}`),
      h("p", {}, `${p.values.length} value${p.values.length === 1 ? "" : "s"}:`),
      table(["Step", "Value"], p.values.map((v, i) => [i + 1, h("span", { class: "value" }, num(v, 6))]), "Predicted values"));
  }
  const classes = p.classes ?? [];
  return h("div", { id: "result" },
    h("p", {}, `Answered by ${r.model ?? ""}`),
    table(["Label", "Score"], classes.map((c) => [h("span", { class: "label" }, c.label), h("div", {}, progressBar(c.score ?? 0, `score of ${c.label}`), h("small", {}, num(c.score ?? 0)))]), "Predicted classes"));
}

function extractResult(r: ExtractResponse): HTMLElement {
  const v = r.features[0]?.values ?? [];
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return h("div", { id: "result" },
    h("p", {}, `Answered by ${r.model ?? ""}, layer ${r.layer ?? "default"}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Dimension"), h("dd", { id: "dimension" }, String(r.dimension ?? v.length)),
      h("dt", {}, "L2 norm"), h("dd", { id: "norm" }, num(norm, 6)),
      h("dt", {}, "First values"), h("dd", {}, h("code", { class: "wrap" }, v.slice(0, 8).map((x) => num(x, 4)).join(", ")))));
}

export function tryPage(main: HTMLElement, preselect: string): () => void {
  const model = h("select", { id: "try-model", required: true });
  const inputs: Record<string, TryInput> = { nlp: new TextInput(), vision: new ImageInput(), timeseries: new SeriesInput() };
  const inputBox = h("div");
  const topK = h("input", { id: "try-topk", type: "number", min: 0, max: 100, value: 3 });
  const predict = h("input", { id: "op-predict", type: "radio", name: "op", value: "predict", checked: true });
  const extract = h("input", { id: "op-extract", type: "radio", name: "op", value: "extract" });
  const run = h("button", { type: "submit" }, "Run");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "try" },
    h("div", { class: "field" }, h("label", { for: "try-model" }, "Model"), model),
    inputBox,
    h("fieldset", {}, h("legend", {}, "Call"),
      h("label", {}, predict, " Predict (trained models)"),
      h("label", {}, extract, " Extract features")),
    h("div", { class: "field" }, h("label", { for: "try-topk" }, "Top k (0 = all classes)"), topK),
    run);
  main.replaceChildren(h("h1", {}, "Try it"), h("p", {}, "Text for text models, an image (drop it or pick a file) for vision models, a pasted series for time-series models."), form, out);

  const current = (): TryInput => inputs[model.selectedOptions[0]?.dataset.domain ?? "nlp"] ?? inputs.nlp;
  // Base models have no classes: Extract only; the input follows the model's domain.
  const sync = () => {
    const base = model.selectedOptions[0]?.dataset.kind === "MODEL_KIND_BASE";
    predict.disabled = base;
    if (base) extract.checked = true;
    topK.disabled = extract.checked;
    if (inputBox.firstChild !== current().el) inputBox.replaceChildren(current().el);
  };
  model.addEventListener("change", sync);
  predict.addEventListener("change", sync);
  extract.addEventListener("change", sync);

  // The picker fills a page at a time, so the form is usable after the first page (or at once
  // with the model of the URL, fetched by itself) while the rest of a long list arrives.
  const abort = new AbortController();
  const listed = new Set<string>();
  const add = (models: Model[]) => {
    for (const m of models) {
      if (listed.has(modelRef(m))) continue;
      listed.add(modelRef(m));
      model.append(h("option", { value: modelRef(m), "data-kind": m.kind, "data-domain": m.domain ?? "" },
        `${modelRef(m)} (${m.domain ?? ""}, ${m.kind === "MODEL_KIND_TRAINED" ? "trained" : "base"})`));
    }
  };
  let decided = false; // the URL's model, or the user, picked one: later pages leave it be
  model.addEventListener("change", () => (decided = true));
  const pick = (ref: string) => {
    model.value = ref;
    sync();
  };
  const wanted = preselect
    ? call<Model>("graft.v1.ModelService/GetModel", { name: preselect }, abort.signal).then((m) => {
      add([m]);
      if (!decided) pick(modelRef(m));
      decided = true;
    }).catch(() => {})
    : Promise.resolve();
  eachModelPage((models) => {
    add(models);
    if (decided || preselect) return;
    const trained = models.find((m) => m.kind === "MODEL_KIND_TRAINED");
    if (trained) {
      pick(modelRef(trained));
      decided = true;
    } else sync();
  }, abort.signal)
    .then(() => wanted)
    .then(() => {
      model.dataset.complete = "true"; // every model is listed
      sync();
    })
    .catch((e) => {
      if (!abort.signal.aborted) out.replaceChildren(errorBox(e, "Loading models"));
    });
  sync();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    run.disabled = true;
    out.replaceChildren(h("p", {}, "Running…"));
    try {
      const input = await current().value();
      if (predict.checked) {
        out.replaceChildren(predictResult(await call<PredictResponse>("graft.v1.InferenceService/Predict", { model: model.value, inputs: [input], topK: Number(topK.value) || 0 })));
      } else {
        out.replaceChildren(extractResult(await call<ExtractResponse>("graft.v1.InferenceService/Extract", { model: model.value, inputs: [input] })));
      }
    } catch (e) {
      out.replaceChildren(errorBox(e, predict.checked ? "Predict" : "Extract"));
    } finally {
      run.disabled = false;
    }
  });
  return () => abort.abort();
}
