// Tra cứu theo số định danh: a person's (or enterprise's) records on a day: those valid,
// then those that are not with the reason ("hết hiệu lực ngày …"), or plainly none.
import { api } from "../api.js";
import { alertBox, field, fill, h, screenHeader } from "../dom.js";
import { day, vnDay } from "../format.js";
import { errorText, S, t } from "../i18n.js";
import { recordCard } from "../records.js";

const SHAPE = /^(\d{12}|\d{9}|\d{10}(-\d{3})?)$/;

export function render(main, ctx) {
  const id = h("input", { type: "search", name: "owner_id", inputmode: "numeric", autocomplete: "off", maxlength: "40",
    value: ctx.query.get("so") || "" });
  const onDay = h("input", { type: "date", name: "valid_on", value: ctx.query.get("ngay") || "" });
  const out = h("div", { id: "lookup-result", "aria-live": "polite" });
  const form = h("form", { class: "card", role: "search", novalidate: true },
    h("div", { class: "grid-2" }, field(S.lookup.id, id), field(S.lookup.day, onDay, S.lookup.day_help)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button button-primary" }, S.lookup.submit)));
  main.append(...screenHeader(S.lookup.title, S.lookup.help), form, out);

  async function run() {
    const owner = id.value.replace(/[\s.]/g, "");
    if (!SHAPE.test(owner)) { fill(out, alertBox("error", S.lookup.bad_id)); id.focus(); return; }
    const asked = onDay.value || vnDay(0);
    history.replaceState(null, "", "/dinh-danh?" + new URLSearchParams({ so: owner, ...(onDay.value ? { ngay: onDay.value } : {}) }));
    fill(out, h("p", { class: "muted" }, S.lookup.searching));
    try {
      const body = await api("GET", "/api/v1/records", { query: { owner_id: owner, valid_on: asked, include_invalid: "true" } });
      const valid = body.records.filter((r) => r.valid);
      const invalid = body.records.filter((r) => !r.valid);
      if (!body.records.length) { fill(out, alertBox("warn", t("lookup.nothing", { id: owner }))); return; }
      fill(out,
        valid.length ? [h("h2", {}, t("lookup.valid_title", { day: day(asked) })), valid.map((r) => recordCard(r, { link: true }))]
          : alertBox("warn", h("strong", { id: "no-valid" }, t("lookup.no_valid", { day: day(asked) }))),
        invalid.length ? [h("h2", {}, t("lookup.invalid_title", { day: day(asked) })), invalid.map((r) => recordCard(r, { link: true }))] : null);
    } catch (error) {
      fill(out, alertBox("error", errorText(error)));
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  if (id.value) run(); else id.focus();
}
