// Tra cứu: one box (diacritics optional), filters counted for the current words, sort by
// relevance or issue date, pages of 10. The address holds the whole search, so Back works
// and a search can be bookmarked.
import { api } from "../api.js";
import { alertBox, field, fill, h, screenHeader, snippet } from "../dom.js";
import { day } from "../format.js";
import { errorText, label, S, t } from "../i18n.js";

const SIZE = 10;
const FACETS = ["doc_type", "agency_code", "procedure_code", "issue_year", "status", "needs_review"];
const DATES = ["valid_on", "issued_from", "issued_to", "uploaded_from", "uploaded_to"];

function facetLabel(name, value) {
  if (name === "doc_type") return label("doc_types", value);
  if (name === "status") return label("status", value);
  if (name === "needs_review") return S.search["needs_review_" + value] || value;
  return value;
}

export function render(main, ctx) {
  const params = ctx.query;
  const q = h("input", { type: "search", name: "q", value: params.get("q") || "", maxlength: "500", autocomplete: "off",
    enterkeyhint: "search" });
  const sort = h("select", { name: "sort" }, h("option", { value: "relevance" }, S.search.sort_relevance),
    h("option", { value: "issue_date" }, S.search.sort_date));
  sort.value = params.get("sort") || "relevance";
  const selects = Object.fromEntries(FACETS.map((name) => [name, h("select", { name })]));
  const dates = Object.fromEntries(DATES.map((name) => [name, h("input", { type: "date", name, value: params.get(name) || "" })]));
  const info = h("p", { id: "search-info", class: "muted", "aria-live": "polite" });
  const results = h("ol", { class: "results", id: "results" });
  const pager = h("nav", { class: "pager", "aria-label": S.app.pager_label });
  const filtersBox = h("details", { class: "filters", open: FACETS.some((n) => params.get(n)) || DATES.some((n) => params.get(n)) },
    h("summary", {}, S.search.filters),
    h("div", { class: "grid-3" }, FACETS.map((name) => field(S.search[name], selects[name])),
      DATES.map((name) => field(S.search[name], dates[name]))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button" }, S.search.apply),
      h("a", { href: "/tra-cuu" + (q.value ? "?q=" + encodeURIComponent(q.value) : ""), class: "button button-quiet", id: "reset-filters" }, S.search.reset)));
  const form = h("form", { class: "card", role: "search", id: "search-form" },
    h("div", { class: "search-row" }, field(S.search.q, q), h("button", { type: "submit", class: "button button-primary" }, S.search.submit)),
    h("div", { class: "grid-3" }, field(S.search.sort, sort)), filtersBox);
  main.append(...screenHeader(S.search.title, S.search.help), form, info, results, pager);

  function current(page = 1) {
    const out = { q: q.value.trim() };
    for (const name of FACETS) if (selects[name].value) out[name] = selects[name].value;
    for (const name of DATES) if (dates[name].value) out[name] = dates[name].value;
    if (sort.value !== "relevance") out.sort = sort.value;
    if (page > 1) out.page = page;
    return out;
  }

  function address(query) { return "/tra-cuu?" + new URLSearchParams(query).toString(); }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!q.value.trim()) { q.focus(); return; }
    ctx.navigate(address(current()));
  });
  sort.addEventListener("change", () => { if (q.value.trim()) ctx.navigate(address(current())); });

  function fillFacets(facets) {
    for (const name of FACETS) {
      const chosen = params.get(name) || "";
      const buckets = (facets && facets[name]) || [];
      const options = [h("option", { value: "" }, S.search.any)];
      for (const b of buckets) options.push(h("option", { value: b.value }, `${facetLabel(name, b.value)} (${b.count})`));
      if (chosen && !buckets.some((b) => b.value === chosen)) options.push(h("option", { value: chosen }, facetLabel(name, chosen)));
      fill(selects[name], options);
      selects[name].value = chosen;
    }
  }

  function hit(x) {
    const name = x.owner_name || x.filename || x.document_id;
    const href = `/ho-so/${encodeURIComponent(x.document_id)}?` + new URLSearchParams({ trang: x.page, q: q.value.trim() });
    return h("li", { class: "hit" },
      h("img", { src: x.thumbnail, alt: t("search.thumb_alt", { page: x.page, name: x.filename || name }), width: "100",
        height: "130", loading: "lazy", decoding: "async", class: "thumb" }),
      h("div", { class: "hit-body" },
        h("h2", { class: "hit-title" }, h("a", { href }, name)),
        h("p", { class: "hit-meta" },
          h("span", {}, x.doc_type ? label("doc_types", x.doc_type) : S.search.no_record),
          x.doc_number ? h("span", {}, `${S.search.number}: ${x.doc_number}`) : null,
          x.issue_date ? h("span", {}, `${S.search.issue_date}: ${day(x.issue_date)}`) : null,
          x.issuing_body ? h("span", {}, `${S.search.issuer}: ${x.issuing_body}`) : null,
          h("span", { class: "muted" }, `${x.filename || ""} · ${t("search.page", { page: x.page })}`)),
        h("p", { class: "snippet" }, snippet(x.snippet))));
  }

  async function run() {
    const query = current(Number(params.get("page") || 1));
    if (!query.q) { fillFacets(null); return; }
    fill(info, S.search.searching);
    try {
      const body = await api("GET", "/api/v1/search", { query: { ...query, size: SIZE, facets: "true" } });
      fillFacets(body.facets);
      fill(info, !body.total ? S.search.none
        : t(body.total_is_capped ? "search.found_capped" : "search.found", { total: body.total }));
      fill(results, body.hits.map(hit));
      const page = query.page || 1;
      const pages = Math.max(1, Math.ceil(body.total / SIZE));
      fill(pager, pages > 1 ? [
        page > 1 ? h("a", { href: address(current(page - 1)), class: "button", rel: "prev" }, S.app.prev) : null,
        h("span", {}, t("app.page_of", { page, pages })),
        page < pages ? h("a", { href: address(current(page + 1)), class: "button", rel: "next" }, S.app.next) : null] : null);
    } catch (error) {
      fill(info, alertBox("error", errorText(error)));
    }
  }

  fillFacets(null);
  run();
  if (!q.value) q.focus();
}
