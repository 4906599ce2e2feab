// Kiểm tra: one document at a time from the review queue (oldest first). Each field shows its
// value, how sure the OCR was, and, when focused, where on the page it was read. Enter saves
// the corrections and confirms the record, then the next document opens; Alt+N skips.
import { api } from "../api.js";
import { alertBox, field, fill, h, screenHeader } from "../dom.js";
import { percent } from "../format.js";
import { errorText, S, t } from "../i18n.js";
import { PageViewer } from "../viewer.js";

const FIELDS = ["owner_name", "owner_id", "doc_type", "doc_number", "issue_date", "valid_until"];
const DATE_FIELDS = new Set(["issue_date", "valid_until"]);

function input(name, value) {
  if (name === "doc_type") {
    const select = h("select", { name }, h("option", { value: "" }, S.app.none),
      Object.entries(S.doc_types).map(([code, text]) => h("option", { value: code }, text)));
    select.value = value || "";
    return select;
  }
  return h("input", { name, type: DATE_FIELDS.has(name) ? "date" : "text", value: value || "", autocomplete: "off",
    inputmode: name === "owner_id" ? "numeric" : null });
}

export function render(main, ctx) {
  let index = 0;
  const box = h("div", { id: "review-item" });
  const info = h("p", { class: "muted", id: "review-info", "aria-live": "polite" });
  main.append(...screenHeader(S.review.title, S.review.help), info, box);
  let viewer = null;
  const wordsCache = new Map();

  function onKey(event) {
    if (event.altKey && (event.key === "n" || event.key === "N")) { event.preventDefault(); index += 1; load(); }
  }
  document.addEventListener("keydown", onKey);

  async function words(documentId, pageNumber) {
    const key = documentId + "/" + pageNumber;
    if (!wordsCache.has(key)) {
      wordsCache.set(key, api("GET", `/api/v1/documents/${encodeURIComponent(documentId)}/pages/${pageNumber}/words`,
        { query: { size: "screen" } }));
    }
    return wordsCache.get(key);
  }

  async function showSource(item, state, name) {
    const f = item.fields[name];
    const pageNumber = (f && f.page) || item.open_page;
    if (state.page !== pageNumber) {
      state.page = pageNumber;
      viewer.show(`/api/v1/documents/${encodeURIComponent(item.document_id)}/pages/${pageNumber}/image?size=screen`,
        t("doc.image_alt", { n: pageNumber, name: item.filename }));
    }
    viewer.mark([], 1, 1);
    if (!f || !f.span) return;
    try {
      const found = await words(item.document_id, pageNumber);
      const [start, end] = f.span;
      const hit = found.words.filter((w) => w.start != null && w.start < end && w.end > start)
        .map((w) => ({ ...w, kind: "field" }));
      viewer.mark(hit, found.image_width, found.image_height);
      if (hit.length) viewer.scrollToBoxes();
    } catch (error) { /* the value still shows */ }
  }

  function renderItem(item, total) {
    if (viewer) viewer.destroy();
    viewer = new PageViewer({ label: S.doc.title });
    const state = { page: null };
    const reasons = item.reasons.map((r) => r === "low_confidence"
      ? t("review.reason_low_confidence", { pages: item.pages.map((p) => t("review.page_conf", { n: p.number, conf: Math.round(p.confidence ?? 0) })).join(", ") })
      : S.review.reason_unconfirmed);
    const head = [h("h2", {}, t("review.item_of", { n: index + 1, total }), " · ", item.filename),
      h("p", {}, `${S.review.reasons}: ${reasons.join("; ")}`),
      h("p", {}, h("a", { href: `/ho-so/${encodeURIComponent(item.document_id)}?trang=${item.open_page}` }, S.review.open_document))];
    const skip = h("button", { type: "button", class: "button", id: "review-skip", onclick: () => { index += 1; load(); } }, S.review.skip);
    if (!item.record_id) {
      fill(box, head, alertBox("warn", S.review.no_record), h("div", { class: "actions" }, skip), viewer.element);
      showSource(item, state, null);
      return;
    }
    const inputs = {};
    const rows = FIELDS.map((name) => {
      const f = item.fields[name] || { value: null, confidence: null };
      const el = input(name, f.value);
      inputs[name] = el;
      const conf = percent(f.confidence);
      el.addEventListener("focus", () => showSource(item, state, name));
      const confText = conf == null ? S.review.conf_unknown : t("review.conf_value", { value: conf });
      const help = `${S.review.confidence}: ${confText}` + (f.span ? "" : ` · ${S.review.source_none}`);
      const wrap = field(S.record[name], el, help);
      wrap.classList.add(conf != null && conf < Math.round(ctx.limits.low_confidence) ? "field-unsure" : "field-sure");
      return wrap;
    });
    const note = h("input", { name: "note", maxlength: "500", autocomplete: "off" });
    const message = h("div", { id: "review-message" });
    const save = h("button", { type: "submit", class: "button button-primary", id: "review-save" }, S.review.save);
    const form = h("form", { class: "review-form", novalidate: true }, message, rows, field(S.review.note, note),
      h("div", { class: "actions" }, save, skip));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = {};
      for (const name of FIELDS) {
        const before = (item.fields[name] && item.fields[name].value) || "";
        const after = inputs[name].value.trim();
        if (after !== before) changes[name] = after || null;
      }
      save.disabled = true;
      try {
        await api("PATCH", `/api/v1/records/${encodeURIComponent(item.record_id)}`,
          { json: { fields: changes, confirm: true, note: note.value.trim() || null } });
        ctx.announce(t("review.saved", { name: item.filename }));
        load();
      } catch (error) {
        save.disabled = false;
        fill(message, alertBox("error", errorText(error)));
      }
    });
    fill(box, head, h("div", { class: "review-layout" }, form, viewer.element));
    showSource(item, state, null);
    inputs[FIELDS[0]].focus();
  }

  async function load() {
    fill(info, S.app.loading);
    try {
      let body = await api("GET", "/api/v1/review", { query: { page: index + 1, size: 1 } });
      if (!body.items.length && index > 0) { index = 0; body = await api("GET", "/api/v1/review", { query: { page: 1, size: 1 } }); }
      fill(info, t("review.queue", { total: body.total }));
      if (!body.items.length) { if (viewer) viewer.destroy(); viewer = null; fill(box, alertBox("ok", S.review.empty)); return; }
      renderItem(body.items[0], body.total);
    } catch (error) {
      fill(info, alertBox("error", errorText(error)));
    }
  }

  load();
  return () => { document.removeEventListener("keydown", onKey); if (viewer) viewer.destroy(); };
}
