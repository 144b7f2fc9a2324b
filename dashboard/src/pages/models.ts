// Models: base and trained, with a trained model's lineage as a small graph.
import { call } from "../api";
import { bytes, enumName, num, time } from "../format";
import type { Model } from "../types";
import { append, errorBox, h, pager, table } from "../ui";
import { confusionMatrix, forecastBaselines } from "./quality";

export const modelRef = (m: Model) => `${m.name}@${m.version}`;

export function modelsList(main: HTMLElement): () => void {
  const kind = h("select", { id: "model-kind" },
    h("option", { value: "" }, "all"),
    h("option", { value: "kind=BASE" }, "base"),
    h("option", { value: "kind=TRAINED" }, "trained"));
  const list = pager<Model>(
    "Models",
    async (pageSize, pageToken) => {
      const r = await call<{ models?: Model[]; nextPageToken?: string }>("graft.v1.ModelService/ListModels", { pageSize, pageToken, filter: kind.value });
      return { items: r.models ?? [], nextPageToken: r.nextPageToken };
    },
    (models) =>
      table(
        ["Model", "Kind", "Domain", "Lineage", "Size"],
        models.map((m) => [
          h("a", { href: `#/models/${encodeURIComponent(modelRef(m))}` }, modelRef(m)),
          enumName(m.kind, "MODEL_KIND_"),
          m.domain ?? "",
          m.baseModel ? `${m.baseModel} · ${m.strategy ?? ""}` : "",
          bytes(m.sizeBytes),
        ]),
        "Models",
      ),
  );
  kind.addEventListener("change", () => void list.restart());
  main.replaceChildren(h("h1", {}, "Models"), h("div", { class: "filters" }, h("label", { for: "model-kind" }, "Kind "), kind), list.el);
  void list.reload();
  return () => {};
}

function node(title: string, ...body: (Node | string)[]): HTMLElement {
  return h("li", { class: "node" }, h("span", { class: "node-title" }, title), ...body.map((b) => h("div", {}, b)));
}

/** base → strategy → dataset → hyperparameters → metrics → this model, as linked boxes. */
export function lineage(m: Model): HTMLElement {
  const hp = Object.entries(m.hyperparameters ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const finals = (m.metrics ?? []).filter((x) => !x.epoch);
  return h(
    "ol",
    { class: "lineage", "aria-label": `Lineage of ${modelRef(m)}` },
    node("Base model", h("a", { href: `#/models/${encodeURIComponent(m.baseModel ?? "")}` }, m.baseModel ?? "")),
    node("Strategy", m.strategy ?? ""),
    node("Dataset", h("a", { href: `#/datasets/${encodeURIComponent(m.dataset ?? "")}` }, m.dataset ?? "")),
    node("Hyperparameters", ...(hp.length ? hp.map(([k, v]) => `${k} = ${v}`) : ["strategy defaults"])),
    node("Metrics", ...(finals.length ? finals.map((x) => `${x.split ? x.split + " " : ""}${x.name} ${num(x.value ?? 0)}`) : ["none"])),
    h("li", { class: "node result" }, h("span", { class: "node-title" }, "Model"), h("div", {}, modelRef(m))),
  );
}

export function modelDetail(main: HTMLElement, ref: string): () => void {
  main.replaceChildren(h("p", {}, h("a", { href: "#/models" }, "← All models")), h("h1", {}, "Model ", h("code", {}, ref)));
  let destroy = () => {};
  call<Model>("graft.v1.ModelService/GetModel", { name: ref })
    .then((m) => {
      const trained = m.kind === "MODEL_KIND_TRAINED";
      const forecast = trained ? forecastBaselines(m.metrics ?? []) : null;
      if (forecast) destroy = forecast.destroy;
      append(
        main,
        h("dl", { class: "facts" },
          h("dt", {}, "Kind"), h("dd", {}, enumName(m.kind, "MODEL_KIND_")),
          h("dt", {}, "Domain"), h("dd", {}, m.domain ?? ""),
          h("dt", {}, "Task"), h("dd", {}, enumName(m.task, "TASK_")),
          h("dt", {}, "Engine / format"), h("dd", {}, `${m.engine ?? ""} / ${m.format ?? ""}`),
          h("dt", {}, "Size"), h("dd", {}, bytes(m.sizeBytes)),
          h("dt", {}, "Feature dimension"), h("dd", {}, String(m.dimension ?? "")),
          h("dt", {}, "Labels"), h("dd", {}, (m.labels ?? []).join(", ")),
          h("dt", {}, "Created"), h("dd", {}, `${time(m.createTime)} by ${m.createdBy ?? ""}`),
          m.jobId ? h("dt", {}, "Job") : null, m.jobId ? h("dd", {}, h("a", { href: `#/jobs/${encodeURIComponent(m.jobId)}` }, m.jobId)) : null),
        h("p", {}, h("a", { href: `#/try/${encodeURIComponent(ref)}`, class: "button" }, "Try it")),
        trained ? h("h2", {}, "Lineage") : null,
        trained ? lineage(m) : null,
        m.confusionMatrix?.labels?.length ? confusionMatrix(m.confusionMatrix) : null,
        forecast?.el,
        h("h2", {}, "Properties"),
        table(["Property", "Value"], Object.entries(m.properties ?? {}).map(([k, v]) => [k, v]), "Model properties"),
      );
    })
    .catch((e) => main.append(errorBox(e, "Loading the model")));
  return () => destroy();
}
