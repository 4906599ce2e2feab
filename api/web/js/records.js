// A record as an officer reads it: who, what, when, valid or not on the day asked, and why.
import { h } from "./dom.js";
import { day } from "./format.js";
import { label, S, t } from "./i18n.js";

export function validityText(r) {
  if (r.valid) return S.validity.valid;
  return t("validity." + r.validity_reason, { until: day(r.valid_until), from: day(r.valid_from) });
}

// The enterprise codes a record names besides its owner's ID (a business registration's owner
// is its legal representative): an officer who looked the enterprise up sees the code matched.
function enterpriseCodes(r) {
  return (r.subjects || []).filter((s) => s.role === "enterprise" && s.person_id && s.person_id !== r.owner_id)
    .map((s) => s.person_id).join(", ");
}

export function recordCard(r, { link = false } = {}) {
  const row = (name, value) => value == null || value === "" ? null : [h("dt", {}, S.record[name]), h("dd", {}, value)];
  return h("article", { class: "record", dataset: { valid: String(r.valid) } },
    h("h3", {}, label("doc_types", r.doc_type), r.doc_number ? ` · ${S.search.number} ${r.doc_number}` : ""),
    h("p", { class: "badge badge-" + (r.valid ? "indexed" : "failed") + " validity" }, validityText(r),
      " ", t("record.valid_on", { day: day(r.valid_on) })),
    h("dl", { class: "pairs" },
      row("owner_name", r.owner_name), row(r.owner_id_type === "enterprise" ? "enterprise_code" : "owner_id", r.owner_id),
      row("enterprise_code", enterpriseCodes(r)), row("issuing_body", r.issuing_body),
      row("issue_date", r.issue_date && day(r.issue_date)), row("valid_from", r.valid_from && day(r.valid_from)),
      row("valid_until", r.permanent ? S.record.permanent : r.valid_until && day(r.valid_until)),
      row("legal_status", label("legal", r.legal_status)),
      row("review_state", r.review_state === "confirmed" ? S.record.confirmed : S.record.extracted)),
    link ? h("p", {}, h("a", { href: `/ho-so/${encodeURIComponent(r.document_id)}` }, S.record.open_document)) : null);
}
