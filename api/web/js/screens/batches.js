// Lô hồ sơ: the batches of the clerk (or the whole agency), newest first, updating by
// themselves; today, yesterday and the last week one click away.
import { api } from "../api.js";
import { alertBox, fill, h, screenHeader } from "../dom.js";
import { dateTime, vnDay } from "../format.js";
import { errorText, S, t } from "../i18n.js";
import { poll } from "../poll.js";
import { countsLine } from "./batch.js";

const SIZE = 20;

export function render(main, ctx) {
  const q = ctx.query;
  const state = { who: q.get("ai") || "mine", days: q.get("ngay") || "all", page: Number(q.get("trang") || 1) };
  const list = h("ul", { class: "batches", id: "batch-list" });
  const info = h("p", { class: "muted", id: "batch-info" });
  const pager = h("nav", { class: "pager", "aria-label": S.app.pager_label });
  const choice = (name, value, text) => h("a", { href: link({ ...state, [name]: value, page: 1 }),
    class: "chip", "aria-current": state[name] === value ? "true" : null }, text);
  const filters = h("div", { class: "chips", role: "group", "aria-label": S.batches.filter_label },
    choice("who", "mine", S.batches.mine), choice("who", "agency", S.batches.agency), " ",
    choice("days", "today", S.batches.today), choice("days", "yesterday", S.batches.yesterday),
    choice("days", "week", S.batches.week), choice("days", "all", S.batches.all_days));
  main.append(...screenHeader(S.batches.title, S.batches.help), filters, info, list, pager);

  function link(s) {
    const params = new URLSearchParams();
    if (s.who !== "mine") params.set("ai", s.who);
    if (s.days !== "all") params.set("ngay", s.days);
    if (s.page > 1) params.set("trang", String(s.page));
    const text = params.toString();
    return "/lo" + (text ? "?" + text : "");
  }

  function range() {
    if (state.days === "today") return { created_from: vnDay(0), created_to: vnDay(0) };
    if (state.days === "yesterday") return { created_from: vnDay(-1), created_to: vnDay(-1) };
    if (state.days === "week") return { created_from: vnDay(-6), created_to: vnDay(0) };
    return {};
  }

  async function load() {
    const body = await api("GET", "/api/v1/batches", { query: { page: state.page, size: SIZE, ...range(),
      created_by_user_id: state.who === "mine" ? ctx.me.user.id : null } });
    fill(list, body.batches.map(item));
    fill(info, body.total ? t("batches.last_update", { time: new Date().toLocaleTimeString("vi-VN") }) : S.batches.none);
    const pages = Math.max(1, Math.ceil(body.total / SIZE));
    fill(pager, pages > 1 ? [
      state.page > 1 ? h("a", { href: link({ ...state, page: state.page - 1 }), class: "button" }, S.app.prev) : null,
      h("span", {}, t("app.page_of", { page: state.page, pages })),
      state.page < pages ? h("a", { href: link({ ...state, page: state.page + 1 }), class: "button" }, S.app.next) : null] : null);
    return { busy: body.batches.some((b) => b.status === "processing"), signature: JSON.stringify(body.batches) };
  }

  function item(b) {
    const href = `/lo/${encodeURIComponent(b.id)}`;
    return h("li", { class: "batch", dataset: { status: b.status } },
      h("a", { href, class: "batch-link" }, t("batches.created", { time: dateTime(b.created_at), who: b.created_by_name || S.app.none })),
      h("span", { class: "muted" }, t("batches.codes", { agency: b.agency_code || S.app.none, procedure: b.procedure_code || S.app.none })),
      h("span", { class: "badge badge-" + (b.total === 0 ? "muted" : b.status) },
        b.total === 0 ? S.batches.empty : b.status === "processing" ? S.batches.processing : S.batches.done),
      countsLine(b.counts, b.pages_needing_review, b.total));
  }

  const stop = poll(() => load().catch((error) => { fill(info, alertBox("error", errorText(error))); throw error; }));
  return stop;
}
