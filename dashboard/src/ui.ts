// DOM helpers: element construction, errors as the server reported them, pagination.
import { ApiError } from "./api";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** h("a", {href: "#/jobs"}, "Jobs"): attributes, "on*" listeners, children (falsy ones skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** The server's error: code, reason, field and message, in an alert. */
export function errorBox(e: unknown, context = ""): HTMLElement {
  const box = h("div", { class: "error", role: "alert" });
  if (e instanceof ApiError) {
    append(
      box,
      h("strong", {}, context ? `${context}: ` : "", e.code),
      e.reason ? h("span", { class: "reason" }, ` ${e.reason}`) : null,
      e.field ? h("span", { class: "field" }, ` (field ${e.field})`) : null,
      h("div", { class: "message" }, e.message),
    );
  } else {
    append(box, h("strong", {}, context ? `${context}: ` : "", "error"), h("div", { class: "message" }, String((e as Error)?.message ?? e)));
  }
  return box;
}

export function progressBar(fraction: number, label: string): HTMLElement {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
  return h(
    "div",
    { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct, "aria-label": label },
    h("div", { class: "bar", style: `width:${pct}%` }),
    h("span", { class: "pct" }, `${pct}%`),
  );
}

export function table(headers: string[], rows: Child[][], caption: string): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, ...headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { "data-label": headers[i] }, c))))),
    ),
  );
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/**
 * A paginated list: loads a page with `load(pageSize, pageToken)`, renders it with `render`, and
 * offers Previous / Next by the server's page tokens and a page size. `reload()` fetches the
 * current page again, `restart()` the first.
 */
export function pager<T>(
  name: string,
  load: (pageSize: number, pageToken: string) => Promise<Page<T>>,
  render: (items: T[]) => HTMLElement,
  pageSize = 20,
): { el: HTMLElement; reload: () => Promise<void>; restart: () => Promise<void> } {
  const el = h("section", { class: "list", "aria-label": name });
  const body = h("div");
  const sizeId = `${name.toLowerCase()}-page-size`;
  const size = h("select", { id: sizeId }, ...[5, 20, 50, 100].map((n) => h("option", { value: n, selected: n === pageSize }, String(n))));
  size.addEventListener("change", () => void restart());
  el.append(body, h("div", { class: "page-size" }, h("label", { for: sizeId }, "Per page "), size));
  const tokens: string[] = [""]; // tokens[i] fetches page i
  let index = 0;
  let latest = 0; // a newer request (a page-size change, a refresh) supersedes older ones
  const reload = async () => {
    const mine = ++latest;
    try {
      const page = await load(Number(size.value), tokens[index]);
      if (mine !== latest) return;
      tokens.length = index + 1;
      if (page.nextPageToken) tokens.push(page.nextPageToken);
      const prev = h("button", { type: "button", disabled: index === 0, onclick: () => go(-1) }, "Previous page");
      const next = h("button", { type: "button", disabled: !page.nextPageToken, onclick: () => go(1) }, "Next page");
      body.replaceChildren(
        page.items.length ? render(page.items) : h("p", { class: "empty" }, `No ${name.toLowerCase()} yet.`),
        h("nav", { class: "pager", "aria-label": `${name} pages` }, prev, h("span", {}, `Page ${index + 1}`), next),
      );
    } catch (e) {
      if (mine === latest) body.replaceChildren(errorBox(e, `Loading ${name.toLowerCase()}`));
    }
  };
  /** Back to the first page (the page size or a filter changed). */
  const restart = () => {
    tokens.length = 1;
    index = 0;
    return reload();
  };
  const go = (delta: number) => {
    index = Math.max(0, Math.min(tokens.length - 1, index + delta));
    void reload();
  };
  return { el, reload, restart };
}
