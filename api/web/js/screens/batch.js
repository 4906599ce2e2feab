// One batch: every file with its state, pages read, the reason of a failure, and the pages
// the OCR was unsure of marked "cần kiểm tra" (amber, never the green of plain success).
import { api } from "../api.js";
import { alertBox, fill, h, screenHeader } from "../dom.js";
import { dateTime } from "../format.js";
import { errorText, S, t } from "../i18n.js";
import { poll } from "../poll.js";

export function countsLine(counts, review, total) {
  const parts = [h("span", { class: "count" }, t("batches.files", { n: total }))];
  for (const state of ["queued", "processing", "indexed", "failed"]) {
    if (counts[state]) parts.push(h("span", { class: "count count-" + state }, `${S.status[state]}: ${counts[state]}`));
  }
  if (review) parts.push(h("span", { class: "count count-review" }, t("batches.needs_review", { n: review })));
  return h("p", { class: "counts", "aria-label": S.batches.summary_label }, parts);
}

export function documentState(d) {
  if (d.status === "failed") return { key: d.id ? "failed" : "rejected", text: d.id ? S.status.failed : S.status.rejected };
  if (d.status === "indexed" && d.pages_needing_review > 0) return { key: "review", text: S.status.indexed_review };
  if (d.waiting_for_index) return { key: "processing", text: S.batches.waiting_for_index };
  return { key: d.status, text: S.status[d.status] || d.status };
}

export function render(main, ctx) {
  const batchId = ctx.params.batch_id;
  const onlyReview = h("input", { type: "checkbox", id: "only-review" });
  const head = h("div", { id: "batch-head" });
  const rows = h("ul", { class: "docs", id: "batch-docs" });
  main.append(h("p", {}, h("a", { href: "/lo" }, S.batches.back)), ...screenHeader(S.batches.detail_title, S.batches.help), head,
    h("div", { class: "check" }, onlyReview, h("label", { for: "only-review" }, S.batches.only_review)), rows);

  function row(d) {
    const state = documentState(d);
    const pages = d.pages_total ? h("span", {}, h("progress", { max: String(d.pages_total), value: String(d.pages_done),
      "aria-label": t("batches.pages_done", { done: d.pages_done, total: d.pages_total }) }), " ",
    t("batches.pages_done", { done: d.pages_done, total: d.pages_total })) : null;
    return h("li", { class: "doc", dataset: { state: state.key } },
      h("span", { class: "doc-name" }, d.filename),
      h("span", { class: "badge badge-" + state.key }, state.text), pages,
      d.pages_needing_review ? h("span", { class: "count count-review" }, t("batches.needs_review", { n: d.pages_needing_review })) : null,
      d.error ? h("span", { class: "reason" }, `${S.batches.reason}: ${errorText(d.error)}`) : null);
  }

  async function load() {
    const body = await api("GET", `/api/v1/batches/${encodeURIComponent(batchId)}`,
      { query: { needs_review: onlyReview.checked ? "true" : null } });
    fill(head, h("p", {}, t("batches.created_at", { time: dateTime(body.created_at) }), " · ",
      t("batches.codes", { agency: body.agency_code || S.app.none, procedure: body.procedure_code || S.app.none })),
    countsLine(body.counts, body.documents.reduce((n, d) => n + d.pages_needing_review, 0), body.total));
    fill(rows, body.documents.map(row));
    return { busy: body.status === "processing", signature: JSON.stringify(body.documents) };
  }

  let stop = poll(() => load().catch((error) => { fill(head, alertBox("error", errorText(error))); throw error; }));
  onlyReview.addEventListener("change", () => { stop(); stop = poll(load); });
  return () => stop();
}
