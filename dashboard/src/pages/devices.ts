// Devices: pools, slots busy/total, queue depth, loaded models and memory (GetServerInfo).
import { call } from "../api";
import { bytes, time } from "../format";
import type { ServerInfo } from "../types";
import { errorBox, h, progressBar, table } from "../ui";

function render(info: ServerInfo): HTMLElement[] {
  const pools = (info.pools ?? []).map((p) =>
    h("section", { class: "pool", "aria-label": `Pool ${p.name}` },
      h("h2", {}, `Pool ${p.name}`),
      h("p", {}, `Queue: ${p.queuedJobs ?? 0} of ${p.queueCapacity ?? 0} jobs waiting`),
      table(
        ["Device", "Training slots busy", "Inference slots busy", "Queued jobs", "Memory"],
        (p.devices ?? []).map((d) => {
          const used = Number(d.memoryUsed ?? 0);
          const total = Number(d.memoryTotal ?? 0);
          return [
            d.id,
            `${d.runningJobs ?? 0} / ${d.trainingSlots ?? 0}`,
            `${d.runningInferences ?? 0} / ${d.inferenceSlots ?? 0}`,
            d.queuedJobs ?? 0,
            total ? h("div", {}, progressBar(used / total, `memory of ${d.id}`), h("small", {}, `${bytes(used)} of ${bytes(total)}`)) : "",
          ];
        }),
        `Devices of pool ${p.name}`,
      )));
  const loaded = info.loadedModels ?? [];
  const sum = loaded.reduce((s, m) => s + Number(m.estimatedBytes ?? 0), 0);
  const budget = Number(info.modelMemoryBudgetBytes ?? 0);
  return [
    h("p", {}, `Graft ${info.version ?? ""} · replica ${info.replica ?? ""}`),
    ...pools,
    h("section", { "aria-label": "Loaded models" },
      h("h2", {}, "Loaded models"),
      h("p", {}, `${loaded.length} loaded, ${bytes(sum)}${budget ? ` of a ${bytes(budget)} budget` : ""} (least recently used first)`),
      budget ? progressBar(sum / budget, "model memory budget used") : "",
      table(
        ["Model", "Device", "Memory", "In use", "Last used"],
        loaded.map((m) => [m.model, m.device ?? "", bytes(m.estimatedBytes), m.inUse ? "yes" : "no", time(m.lastUsed)]),
        "Loaded models",
      )),
  ];
}

export function devicesPage(main: HTMLElement): () => void {
  const body = h("div");
  main.replaceChildren(h("h1", {}, "Devices"), body);
  const load = () =>
    call<ServerInfo>("graft.v1.ServerService/GetServerInfo", {})
      .then((info) => body.replaceChildren(...render(info)))
      .catch((e) => body.replaceChildren(errorBox(e, "Loading server info")));
  void load();
  const timer = setInterval(load, 3000);
  return () => clearInterval(timer);
}
