// The dashboard: signs in when the server asks for a token, then routes #/<page>/<id> to a page.
import { ApiError } from "./api";
import { clearToken, session, setSession, setToken, token } from "./auth";
import { datasetDetail, datasetsList } from "./pages/datasets";
import { devicesPage } from "./pages/devices";
import { jobDetail, jobsList } from "./pages/jobs";
import { modelDetail, modelsList } from "./pages/models";
import { tryPage } from "./pages/tryit";
import { detectSession } from "./session";
import { errorBox, h } from "./ui";

const main = document.getElementById("main")!;
const who = document.getElementById("who")!;
let dispose: () => void = () => {};

function route(): void {
  dispose();
  const [first, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const page = first || "jobs";
  const arg = decodeURIComponent(rest.join("/"));
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-page]")) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `Graft · ${page}`;
  switch (page) {
    case "jobs": dispose = arg ? jobDetail(main, arg) : jobsList(main); break;
    case "models": dispose = arg ? modelDetail(main, arg) : modelsList(main); break;
    case "datasets": dispose = arg ? datasetDetail(main, arg) : datasetsList(main); break;
    case "devices": dispose = devicesPage(main); break;
    case "try": dispose = tryPage(main, arg); break;
    default:
      main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No such page: ", h("code", {}, page)));
      dispose = () => {};
  }
}

function showWho(): void {
  const s = session();
  const signOut = h("button", { type: "button", class: "link", onclick: () => { clearToken(); location.reload(); } }, "Sign out");
  who.replaceChildren(
    s.authOn ? `${s.name || "signed in"} · ${s.role}` : "authentication off",
    s.authOn ? signOut : "",
  );
}

function signIn(error?: ApiError): void {
  dispose();
  dispose = () => {};
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true });
  const form = h("form", { class: "signin" },
    h("h1", {}, "Sign in"),
    h("p", {}, "This server needs an access token (from its tokens file). It is kept in this tab's session storage only."),
    error ? errorBox(error, "Sign-in") : "",
    h("div", { class: "field" }, h("label", { for: "token" }, "Access token"), input),
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    void start();
  });
  main.replaceChildren(form);
  input.focus();
}

async function start(): Promise<void> {
  try {
    const d = await detectSession();
    if (d.kind === "needs-token") {
      if (token()) clearToken();
      signIn(d.error);
      return;
    }
    setSession(d.session);
    showWho();
    document.body.dataset.role = d.session.role;
    route();
  } catch (e) {
    main.replaceChildren(h("h1", {}, "Graft"), errorBox(e, "Connecting to the server"));
  }
}

window.addEventListener("hashchange", () => {
  if (document.body.dataset.role) route();
});
void start();
