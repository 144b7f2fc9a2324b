// Small formatters for what the API returns (int64 as strings, durations as "1.5s", RFC 3339 times).

export function bytes(v: string | number | undefined): string {
  const n = Number(v ?? 0);
  if (!Number.isFinite(n) || n <= 0) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** "16.716s" (a proto Duration in JSON) as "17 s", "2 min 5 s". */
export function duration(d: string | undefined): string {
  if (!d) return "";
  const s = Math.round(parseFloat(d));
  if (!Number.isFinite(s)) return "";
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function time(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "JOB_STATE_RUNNING" → "running", "MODEL_KIND_BASE" → "base". */
export function enumName(v: string | undefined, prefix: string): string {
  return (v ?? "").replace(prefix, "").toLowerCase() || "unspecified";
}

export function num(v: number | undefined, digits = 4): string {
  return v === undefined ? "" : Number(v.toPrecision(digits)).toString();
}
