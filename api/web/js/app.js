// The app's frame: who is signed in, the menu of the screens their role may use, and the
// router that loads one screen module at a time (each module is fetched only when opened).
import { api, ApiError, setCsrf } from "./api.js";
import { fill, h } from "./dom.js";
import { label, LIMITS, S, SCREENS, t } from "./i18n.js";

const MODULES = {
  "/dang-nhap": "signin", "/doi-mat-khau": "password", "/tai-len": "upload", "/lo": "batches",
  "/lo/{batch_id}": "batch", "/tra-cuu": "search", "/ho-so/{document_id}": "document", "/kiem-tra": "review",
  "/dinh-danh": "lookup", "/quan-tri": "admin",
};
const MENU = ["/tai-len", "/lo", "/tra-cuu", "/kiem-tra", "/dinh-danh", "/quan-tri"];
const HOME = { clerk: "/tai-len", officer: "/tra-cuu", admin: "/tra-cuu" };

const state = { me: null, cleanup: null, seq: 0 };
const main = document.getElementById("main");

export function mayOpen(role, screen) {
  const roles = SCREENS[screen] || [];
  return role === "admin" || roles.length === 0 || roles.includes(role);
}

function match(pathname) {
  for (const pattern of Object.keys(SCREENS)) {
    const names = [];
    const regex = new RegExp("^" + pattern.replace(/\{(\w+)\}/g, (all, name) => { names.push(name); return "([^/]+)"; }) + "/?$");
    const found = pathname.match(regex);
    if (found) return { pattern, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])])) };
  }
  return null;
}

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  route();
}

export function announce(message, kind = "info") {
  const box = document.getElementById("status");
  fill(box, message ? h("p", { class: "toast toast-" + kind }, message) : null);
}

export function me() { return state.me; }

export function setSession(body) {
  state.me = body;
  setCsrf(body ? body.csrf_token : null);
  renderFrame();
}

function renderFrame() {
  const top = document.getElementById("top");
  const nav = document.getElementById("nav");
  const user = state.me && state.me.user;
  const brand = h("a", { href: "/", class: "brand" }, S.app.name);
  if (!user) {
    fill(top, brand);
    fill(nav);
    nav.hidden = true;
    return;
  }
  fill(top, brand, h("div", { class: "who" },
    h("span", { class: "who-label" }, t("app.signed_in_as")), " ",
    h("strong", { id: "who-name" }, user.display_name), " · ",
    h("span", { id: "who-role" }, label("roles", user.role)), " · ",
    h("span", { id: "who-agency" }, user.agency ? t("app.agency", { agency: user.agency }) : t("app.all_agencies"))),
  h("div", { class: "who-actions" }, user.must_change_password ? null
    : h("a", { href: "/doi-mat-khau", class: "button button-quiet" }, S.app.change_password), signOutButton()));
  if (user.must_change_password) {  // nothing else opens until a password of one's own is chosen
    fill(nav);
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  nav.setAttribute("aria-label", S.app.nav_label);
  fill(nav, h("ul", {}, MENU.filter((p) => mayOpen(user.role, p)).map((p) =>
    h("li", {}, h("a", { href: p, "data-screen": p }, S.screens[p])))));
  markCurrent();
}

function markCurrent() {
  for (const link of document.querySelectorAll("#nav a")) {
    const here = location.pathname === link.dataset.screen
      || (link.dataset.screen === "/lo" && location.pathname.startsWith("/lo/"));
    if (here) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

function signOutButton() {
  return h("button", { type: "button", id: "sign-out", class: "button button-quiet", onclick: signOut }, S.app.sign_out);
}

async function signOut() {
  try { await api("DELETE", "/api/v1/session"); } catch (error) { /* signed out either way */ }
  setSession(null);
  navigate("/dang-nhap", { replace: true });
}

function screenMessage(text) {
  fill(main, h("h1", { tabindex: "-1", class: "screen-title" }, text),
    h("p", {}, h("a", { href: "/" }, S.app.go_home)));
}

export async function route() {
  const seq = ++state.seq;
  if (state.cleanup) { try { state.cleanup(); } catch (error) { /* a screen's own business */ } state.cleanup = null; }
  announce("");
  const found = match(location.pathname);
  const user = state.me && state.me.user;
  markCurrent();
  if (!found) { screenMessage(S.app.not_found); return; }
  let { pattern, params } = found;
  if (!user && pattern !== "/dang-nhap") {
    const next = location.pathname + location.search;
    navigate("/dang-nhap" + (next !== "/" ? "?next=" + encodeURIComponent(next) : ""), { replace: true });
    return;
  }
  if (user && user.must_change_password && pattern !== "/doi-mat-khau") { navigate("/doi-mat-khau", { replace: true }); return; }
  if (user && pattern === "/") { navigate(HOME[user.role] || "/doi-mat-khau", { replace: true }); return; }
  if (user && pattern === "/dang-nhap") { navigate("/", { replace: true }); return; }
  if (user && !mayOpen(user.role, pattern)) { screenMessage(S.app.not_allowed); return; }
  document.title = `${S.screens[pattern]} – ${S.shell.title}`;
  fill(main, h("p", { class: "loading" }, S.app.loading));
  try {
    const module = await import(`./screens/${MODULES[pattern]}.js`);
    if (seq !== state.seq) return;
    main.replaceChildren();
    const ctx = { params, query: new URLSearchParams(location.search), me: state.me, limits: LIMITS, navigate, announce, setSession };
    state.cleanup = (await module.render(main, ctx)) || null;
  } catch (error) {
    if (seq !== state.seq) return;
    fill(main, h("p", { class: "alert alert-error", role: "alert" }, error instanceof ApiError ? error.message : S.errors.network_error));
  }
  const title = main.querySelector("h1");
  if (title && document.activeElement === document.body) title.focus({ preventScroll: true });
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download") || link.origin !== location.origin) return;
  if (!match(link.pathname)) return;
  event.preventDefault();
  navigate(link.pathname + link.search + link.hash);
  const title = main.querySelector("h1");
  if (title) title.focus({ preventScroll: false });
}

function onKey(event) {
  // "/" jumps to the screen's search box, as in most search tools (not while typing).
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if (event.key === "/" && !typing) {
    const box = main.querySelector("input[type=search]");
    if (box) { event.preventDefault(); box.focus(); }
  }
}

async function start() {
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", route);
  window.addEventListener("sohoa:signed-out", () => {
    setSession(null);
    const next = location.pathname + location.search;
    navigate("/dang-nhap?ended=1&next=" + encodeURIComponent(next), { replace: true });
  });
  window.addEventListener("offline", () => announce(S.app.offline, "warn"));
  window.addEventListener("online", () => announce(S.app.back_online));
  try {
    setSession(await api("GET", "/api/v1/session"));
  } catch (error) {
    setSession(null);
  }
  route();
}

start();
