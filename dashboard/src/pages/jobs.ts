// Jobs: the list (state, progress, ETA) and one job's page with live curves from WatchJob.
import { ApiError, call, stream } from "../api";
import { can } from "../auth";
import { MetricCharts } from "../charts";
import { duration, enumName, num, time } from "../format";
import type { Job, JobEvent, Metric, RpcStatus } from "../types";
import { errorBox, h, pager, progressBar, table } from "../ui";

const ACTIVE = new Set(["JOB_STATE_QUEUED", "JOB_STATE_RUNNING"]);

export function stateBadge(state: string): HTMLElement {
  const s = enumName(state, "JOB_STATE_");
  return h("span", { class: `badge state-${s}` }, s);
}

/** "phase 2/3: mlp head", or "" for a single-phase job. */
export function phaseText(job: Job): string {
  const p = job.progress ?? {};
  if (!p.phase && !p.phaseCount) return "";
  return `phase ${p.phaseIndex ?? 0}/${p.phaseCount ?? 0}${p.phase ? `: ${p.phase}` : ""}`;
}

function progressCell(job: Job): HTMLElement {
  const p = job.progress ?? {};
  const eta = ACTIVE.has(job.state) && p.eta ? `ETA ${duration(p.eta)}` : "";
  const epochs = p.totalEpochs ? `epoch ${p.epoch ?? 0} / ${p.totalEpochs}` : "";
  return h("div", { class: "progress-cell" }, progressBar(p.fraction ?? (job.state === "JOB_STATE_SUCCEEDED" ? 1 : 0), `progress of ${job.id}`), h("small", {}, [phaseText(job), epochs, eta].filter(Boolean).join(" · ")));
}

/** A job's final metrics (epoch 0: the kept model's), as a table. */
function finalMetrics(metrics: Metric[]): HTMLElement | null {
  const finals = metrics.filter((m) => !m.epoch);
  if (!finals.length) return null;
  return h("section", { "aria-label": "Final metrics" }, h("h2", {}, "Final metrics"),
    table(["Metric", "Split", "Value"], finals.map((m) => [m.name, m.split ?? "", num(m.value ?? 0)]), "Final metrics of the kept model"));
}

export function jobsList(main: HTMLElement): () => void {
  const list = pager<Job>(
    "Jobs",
    async (pageSize, pageToken) => {
      const r = await call<{ jobs?: Job[]; nextPageToken?: string }>("graft.v1.TrainingService/ListJobs", { pageSize, pageToken });
      return { items: r.jobs ?? [], nextPageToken: r.nextPageToken };
    },
    (jobs) =>
      table(
        ["Job", "State", "Progress", "Model", "Created"],
        jobs.map((j) => [
          h("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id),
          stateBadge(j.state),
          progressCell(j),
          `${j.baseModel ?? ""} → ${j.resultModel || j.outputModel || ""}`,
          time(j.createTime),
        ]),
        "Training jobs",
      ),
  );
  main.replaceChildren(h("h1", {}, "Jobs"), list.el);
  void list.reload();
  const timer = setInterval(() => void list.reload(), 3000);
  return () => clearInterval(timer);
}

/** The reason and field of a failed job's google.rpc.Status (ErrorInfo, BadRequest details). */
export function jobError(status: RpcStatus): { reason: string; field: string; message: string } {
  let reason = "";
  let field = "";
  for (const d of status.details ?? []) {
    if (d["@type"].endsWith("google.rpc.ErrorInfo") && d.reason) reason = d.reason;
    if (d["@type"].endsWith("google.rpc.BadRequest") && d.fieldViolations?.length) field = d.fieldViolations[0].field;
  }
  return { reason, field, message: status.message ?? "" };
}

export function jobDetail(main: HTMLElement, id: string): () => void {
  const abort = new AbortController();
  const charts = new MetricCharts();
  const header = h("div", { class: "job-head" });
  const failure = h("div");
  const finals = h("div");
  const actions = h("div", { class: "actions" });
  const events = h("p", { class: "event", "aria-live": "polite" });
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/jobs" }, "← All jobs")),
    h("h1", {}, "Job ", h("code", {}, id)),
    header,
    failure,
    actions,
    events,
    h("h2", {}, "Curves"),
    charts.el,
    finals,
  );
  // The per-epoch history: the concatenation of every WatchJob event's metrics (each event
  // carries only what is new); a whole job (GetJob, CancelJob) replaces it.
  let history: Metric[] = [];

  const cancel = h("button", { type: "button", class: "danger", onclick: () => void doCancel() }, "Cancel job");
  const doCancel = async () => {
    cancel.disabled = true;
    try {
      render(await call<Job>("graft.v1.TrainingService/CancelJob", { id }));
    } catch (e) {
      actions.append(errorBox(e, "Cancel"));
      cancel.disabled = false;
    }
  };

  const render = (job: Job) => {
    const p = job.progress ?? {};
    const active = ACTIVE.has(job.state);
    header.replaceChildren(
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "State"), h("dd", { id: "job-state" }, stateBadge(job.state)),
        h("dt", {}, "Progress"), h("dd", {}, progressCell(job)),
        h("dt", {}, "Base model"), h("dd", {}, job.baseModel ?? ""),
        h("dt", {}, "Strategy"), h("dd", {}, job.strategy ?? ""),
        h("dt", {}, "Output"), h("dd", {}, job.resultModel ? h("a", { href: `#/models/${encodeURIComponent(job.resultModel)}` }, job.resultModel) : job.outputModel ?? ""),
        h("dt", {}, "Device"), h("dd", {}, [job.devicePool, job.device].filter(Boolean).join(" / ")),
        h("dt", {}, "Submitted by"), h("dd", {}, job.createdBy ?? ""),
        h("dt", {}, "Created"), h("dd", {}, time(job.createTime)),
        job.endTime ? h("dt", {}, "Ended") : null, job.endTime ? h("dd", {}, time(job.endTime)) : null,
        phaseText(job) ? h("dt", {}, "Phase") : null, phaseText(job) ? h("dd", { id: "job-phase" }, phaseText(job)) : null,
        active && p.eta ? h("dt", {}, "ETA") : null, active && p.eta ? h("dd", {}, duration(p.eta)) : null,
      ),
    );
    if (job.state === "JOB_STATE_FAILED" && job.error) {
      const err = jobError(job.error);
      failure.replaceChildren(
        h("div", { class: "error", role: "alert" },
          h("strong", {}, "Failed"),
          err.reason ? h("span", { class: "reason" }, ` ${err.reason}`) : null,
          err.field ? h("span", { class: "field" }, ` (field ${err.field})`) : null,
          h("div", { class: "message" }, err.message)),
      );
    }
    actions.replaceChildren(active && can("trainer") ? cancel : "");
    if (job.history) history = job.history;
    charts.update(history);
    finals.replaceChildren(finalMetrics(job.metrics ?? []) ?? "");
  };

  // WatchJob sends the job as it is, then every change, and ends at a terminal state. Renders are
  // coalesced to one per animation frame (a fast job sends many events).
  let pending: JobEvent | null = null;
  const flush = () => {
    if (pending) {
      render(pending.job);
      if (pending.message) events.textContent = pending.message;
      pending = null;
    }
  };
  stream<JobEvent>("graft.v1.TrainingService/WatchJob", { id }, (ev) => {
    if (ev.metrics?.length) history.push(...ev.metrics);
    if (!pending) requestAnimationFrame(flush);
    pending = ev;
  }, abort.signal)
    .then(async () => {
      flush();
      // The stream ended at a terminal state: the stored job's history is the whole record.
      try {
        render(await call<Job>("graft.v1.TrainingService/GetJob", { id }, abort.signal));
      } catch (e) {
        if (!abort.signal.aborted) main.insertBefore(errorBox(e, "Loading the job"), header);
      }
    })
    .catch((e) => {
      if (abort.signal.aborted) return;
      flush();
      main.insertBefore(errorBox(e, e instanceof ApiError && e.status === 404 ? "No such job" : "Watching the job"), header);
    });
  return () => {
    abort.abort();
    charts.destroy();
  };
}
