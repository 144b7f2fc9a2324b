// Datasets: format, size, examples, and label counts as a bar chart.
import { call } from "../api";
import { barChart } from "../charts";
import { bytes, enumName, time } from "../format";
import type { Dataset } from "../types";
import { errorBox, h, pager, table } from "../ui";

export function datasetsList(main: HTMLElement): () => void {
  const list = pager<Dataset>(
    "Datasets",
    async (pageSize, pageToken) => {
      const r = await call<{ datasets?: Dataset[]; nextPageToken?: string }>("graft.v1.DatasetService/ListDatasets", { pageSize, pageToken });
      return { items: r.datasets ?? [], nextPageToken: r.nextPageToken };
    },
    (ds) =>
      table(
        ["Dataset", "Name", "Format", "Examples", "Size", "Labels"],
        ds.map((d) => [
          h("a", { href: `#/datasets/${encodeURIComponent(d.id)}` }, d.id),
          d.name,
          enumName(d.format, "DATASET_FORMAT_"),
          d.examples ?? "0",
          bytes(d.sizeBytes),
          (d.labels ?? []).length,
        ]),
        "Datasets",
      ),
  );
  main.replaceChildren(h("h1", {}, "Datasets"), list.el);
  void list.reload();
  return () => {};
}

export function datasetDetail(main: HTMLElement, id: string): () => void {
  let destroy = () => {};
  main.replaceChildren(h("p", {}, h("a", { href: "#/datasets" }, "← All datasets")), h("h1", {}, "Dataset ", h("code", {}, id)));
  call<Dataset>("graft.v1.DatasetService/GetDataset", { id })
    .then((d) => {
      const counts = Object.entries(d.labelCounts ?? {}).sort(([a], [b]) => a.localeCompare(b));
      main.append(
        h("dl", { class: "facts" },
          h("dt", {}, "Name"), h("dd", {}, d.name),
          h("dt", {}, "Domain"), h("dd", {}, d.domain ?? ""),
          h("dt", {}, "Format"), h("dd", {}, enumName(d.format, "DATASET_FORMAT_")),
          h("dt", {}, "Task"), h("dd", {}, enumName(d.task, "TASK_")),
          h("dt", {}, "Examples"), h("dd", { id: "dataset-examples" }, d.examples ?? "0"),
          h("dt", {}, "Size"), h("dd", {}, bytes(d.sizeBytes)),
          h("dt", {}, "SHA-256"), h("dd", {}, h("code", { class: "wrap" }, d.sha256 ?? "")),
          h("dt", {}, "Uploaded"), h("dd", {}, `${time(d.createTime)} by ${d.createdBy ?? ""}`)),
      );
      if (counts.length) {
        const chart = barChart("Examples per label", counts.map(([l]) => l), counts.map(([, n]) => Number(n)));
        destroy = chart.destroy;
        main.append(h("h2", {}, "Labels"), chart.el, table(["Label", "Examples"], counts.map(([l, n]) => [l, n]), "Examples per label"));
      }
    })
    .catch((e) => main.append(errorBox(e, "Loading the dataset")));
  return () => destroy();
}
