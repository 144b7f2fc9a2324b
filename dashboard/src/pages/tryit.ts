// Try it: a text model, some text, and Predict's top-k or Extract's vector (its norm, first values).
import { call } from "../api";
import { num } from "../format";
import type { ExtractResponse, Model, PredictResponse } from "../types";
import { errorBox, h, progressBar, table } from "../ui";
import { modelRef } from "./models";

async function textModels(): Promise<Model[]> {
  const all: Model[] = [];
  let pageToken = "";
  for (let i = 0; i < 20; i++) {
    const r = await call<{ models?: Model[]; nextPageToken?: string }>("graft.v1.ModelService/ListModels", { pageSize: 100, pageToken, filter: "domain=nlp" });
    all.push(...(r.models ?? []));
    if (!r.nextPageToken) break;
    pageToken = r.nextPageToken;
  }
  return all;
}

function predictResult(r: PredictResponse): HTMLElement {
  const classes = r.predictions[0]?.classes ?? [];
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
      h("dt", {}, "Dimension"), h("dd", {}, String(r.dimension ?? v.length)),
      h("dt", {}, "L2 norm"), h("dd", { id: "norm" }, num(norm, 6)),
      h("dt", {}, "First values"), h("dd", {}, h("code", { class: "wrap" }, v.slice(0, 8).map((x) => num(x, 4)).join(", ")))));
}

export function tryPage(main: HTMLElement, preselect: string): () => void {
  const model = h("select", { id: "try-model", required: true });
  const text = h("textarea", { id: "try-text", rows: 3, required: true, placeholder: "I loved every minute" });
  const topK = h("input", { id: "try-topk", type: "number", min: 0, max: 100, value: 3 });
  const predict = h("input", { id: "op-predict", type: "radio", name: "op", value: "predict", checked: true });
  const extract = h("input", { id: "op-extract", type: "radio", name: "op", value: "extract" });
  const run = h("button", { type: "submit" }, "Run");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "try" },
    h("div", { class: "field" }, h("label", { for: "try-model" }, "Model"), model),
    h("div", { class: "field" }, h("label", { for: "try-text" }, "Text"), text),
    h("fieldset", {}, h("legend", {}, "Call"),
      h("label", {}, predict, " Predict (trained models)"),
      h("label", {}, extract, " Extract features")),
    h("div", { class: "field" }, h("label", { for: "try-topk" }, "Top k (0 = all classes)"), topK),
    run);
  main.replaceChildren(h("h1", {}, "Try it"), h("p", {}, "Text models only; image and series input are not in the dashboard yet."), form, out);

  textModels()
    .then((models) => {
      model.replaceChildren(...models.map((m) => h("option", { value: modelRef(m), "data-kind": m.kind }, `${modelRef(m)} (${m.kind === "MODEL_KIND_TRAINED" ? "trained" : "base"})`)));
      const pre = models.find((m) => modelRef(m) === preselect || m.name === preselect);
      const firstTrained = models.find((m) => m.kind === "MODEL_KIND_TRAINED");
      model.value = pre ? modelRef(pre) : firstTrained ? modelRef(firstTrained) : model.value;
      syncOp();
    })
    .catch((e) => out.replaceChildren(errorBox(e, "Loading models")));

  // Base models have no classes: Extract only.
  const syncOp = () => {
    const base = model.selectedOptions[0]?.dataset.kind === "MODEL_KIND_BASE";
    predict.disabled = base;
    if (base) extract.checked = true;
    topK.disabled = extract.checked;
  };
  model.addEventListener("change", syncOp);
  predict.addEventListener("change", syncOp);
  extract.addEventListener("change", syncOp);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    run.disabled = true;
    out.replaceChildren(h("p", {}, "Running…"));
    const inputs = [{ text: { text: text.value } }];
    try {
      if (predict.checked) {
        out.replaceChildren(predictResult(await call<PredictResponse>("graft.v1.InferenceService/Predict", { model: model.value, inputs, topK: Number(topK.value) || 0 })));
      } else {
        out.replaceChildren(extractResult(await call<ExtractResponse>("graft.v1.InferenceService/Extract", { model: model.value, inputs })));
      }
    } catch (e) {
      out.replaceChildren(errorBox(e, predict.checked ? "Predict" : "Extract"));
    } finally {
      run.disabled = false;
    }
  });
  return () => {};
}
