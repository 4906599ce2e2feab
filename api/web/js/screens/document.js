// Xem hồ sơ: page thumbnails, the page image (zoom, rotate) with the search words boxed, the
// OCR text beside it with the same words marked, the file's facts, its records, downloads.
import { api } from "../api.js";
import { alertBox, fill, fold, h, highlight, queryTerms, screenHeader } from "../dom.js";
import { bytes, dateTime, percent } from "../format.js";
import { errorText, label, S, t } from "../i18n.js";
import { recordCard } from "../records.js";
import { PageViewer } from "../viewer.js";

export function wordBoxes(words, terms) {
  const wanted = new Set(terms);
  return words.filter((w) => wanted.has(fold(w.text).replace(/[^\p{L}\p{N}]/gu, "")));
}

export async function render(main, ctx) {
  const id = ctx.params.document_id;
  const q = ctx.query.get("q") || "";
  const terms = queryTerms(q);
  const doc = await api("GET", `/api/v1/documents/${encodeURIComponent(id)}`);
  const base = `/api/v1/documents/${encodeURIComponent(id)}`;
  let page = Math.min(Math.max(1, Number(ctx.query.get("trang") || 1)), Math.max(1, doc.pages.length));
  const viewer = new PageViewer({ label: S.doc.title });
  const text = h("div", { class: "ocr-text", id: "ocr-text", tabindex: "0", role: "region", "aria-label": S.doc.text });
  const pageInfo = h("p", { class: "muted", id: "page-info" });
  const thumbs = h("ol", { class: "thumbs", id: "thumbs", "aria-label": S.doc.pages });
  const records = h("div", { id: "records" });

  function showPage(n) {
    page = n;
    const p = doc.pages[n - 1];
    for (const [i, li] of [...thumbs.children].entries()) {
      const button = li.firstElementChild;
      if (i + 1 === n) button.setAttribute("aria-current", "page"); else button.removeAttribute("aria-current");
    }
    viewer.show(`${base}/pages/${n}/image?size=screen`, t("doc.image_alt", { n, name: doc.filename }));
    viewer.mark([], 1, 1);
    fill(text, p && p.text ? highlight(p.text, terms) : h("p", { class: "muted" }, S.doc.no_text));
    fill(pageInfo, t("doc.page_n", { n }), p && p.confidence != null ? " · " + t("doc.confidence", { value: percent(p.confidence / 100) }) : "",
      p && p.needs_review ? h("span", { class: "count count-review" }, " ", S.doc.page_needs_review) : null);
    if (terms.length && p && p.source === "ocr") markHits(n);
    history.replaceState(null, "", location.pathname + "?" + new URLSearchParams({ trang: n, ...(q ? { q } : {}) }));
  }

  async function markHits(n) {
    try {
      const words = await api("GET", `${base}/pages/${n}/words`, { query: { size: "screen" } });
      if (n !== page) return;
      const hits = wordBoxes(words.words, terms);
      viewer.mark(hits, words.image_width, words.image_height);
      pageInfo.append(" · ", h("span", { id: "hit-count" }, t("doc.hits", { n: hits.length })));
    } catch (error) { /* the text still shows the hits */ }
  }

  fill(thumbs, doc.pages.map((p) => h("li", {}, h("button", { type: "button", class: "thumb-button" + (p.needs_review ? " thumb-review" : ""),
    onclick: () => showPage(p.number) },
  h("img", { src: `${base}/pages/${p.number}/image?size=thumb`, alt: t("doc.thumb_alt", { n: p.number }), loading: "lazy",
    width: "80", height: "104" }), h("span", {}, t("doc.page_n", { n: p.number }))))));

  const reviewPages = doc.pages.filter((p) => p.needs_review).length;
  const meta = h("dl", { class: "pairs", id: "doc-meta" },
    h("dt", {}, S.doc.filename), h("dd", {}, doc.filename),
    h("dt", {}, S.doc.uploaded), h("dd", {}, dateTime(doc.created_at)),
    h("dt", {}, S.doc.size), h("dd", {}, bytes(doc.size_bytes)),
    h("dt", {}, S.doc.status), h("dd", {}, doc.status === "indexed" && reviewPages ? S.status.indexed_review : label("status", doc.status),
      doc.error ? ` – ${errorText(doc.error)}` : ""));
  const downloads = h("p", { class: "actions" },
    h("a", { href: `${base}/original`, download: "", class: "button", id: "download-original" }, S.doc.download_original),
    h("a", { href: `${base}/searchable.pdf`, download: "", class: "button", id: "download-pdf" }, S.doc.download_pdf));

  main.append(q ? h("p", {}, h("a", { href: "/tra-cuu?" + new URLSearchParams({ q }) }, S.doc.back_to_results)) : null,
    ...screenHeader(doc.filename, S.doc.help),
    h("div", { class: "doc-layout" },
      h("section", { class: "doc-thumbs", "aria-label": S.doc.pages }, thumbs),
      h("section", { class: "doc-image", "aria-label": S.doc.title }, pageInfo, viewer.element),
      h("section", { class: "doc-text", "aria-labelledby": "text-title" }, h("h2", { id: "text-title" }, S.doc.text), text)),
    h("div", { class: "grid-2" },
      h("section", { "aria-labelledby": "meta-title" }, h("h2", { id: "meta-title" }, S.doc.meta), meta, downloads),
      h("section", { "aria-labelledby": "records-title" }, h("h2", { id: "records-title" }, S.doc.records), records)));
  if (doc.pages.length) showPage(page);
  try {
    const found = await api("GET", "/api/v1/records", { query: { document_id: id, include_invalid: "true" } });
    fill(records, found.records.length ? found.records.map((r) => recordCard(r)) : h("p", { class: "muted" }, S.doc.no_records));
  } catch (error) {
    fill(records, alertBox("error", errorText(error)));
  }
  return () => viewer.destroy();
}
