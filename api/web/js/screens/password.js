// Đổi mật khẩu: required first after a one-time password, and open to anyone later.
import { api } from "../api.js";
import { alertBox, field, fill, h, screenHeader } from "../dom.js";
import { errorText, S, t } from "../i18n.js";

export function render(main, ctx) {
  const min = ctx.limits.password_min_length;
  const forced = ctx.me && ctx.me.user.must_change_password;
  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const fresh = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: String(min) });
  const repeat = h("input", { type: "password", autocomplete: "new-password", required: true });
  const message = h("div", { id: "password-message" });
  const submit = h("button", { type: "submit", class: "button button-primary" }, S.password.submit);
  const form = h("form", { class: "card narrow", novalidate: true }, message,
    forced ? alertBox("warn", S.password.forced) : null,
    field(S.password.current, current),
    field(S.password.new, fresh, t("password.help", { min })),
    field(S.password.repeat, repeat),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if ([...fresh.value].length < min) { fill(message, alertBox("error", t("password.too_short", { min }))); fresh.focus(); return; }
    if (fresh.value !== repeat.value) { fill(message, alertBox("error", S.password.mismatch)); repeat.focus(); return; }
    submit.disabled = true;
    try {
      const body = await api("PUT", "/api/v1/session/password",
        { json: { current_password: current.value, new_password: fresh.value } });
      ctx.setSession(body);
      ctx.announce(S.password.done);
      ctx.navigate("/", { replace: true });
    } catch (error) {
      fill(message, alertBox("error", errorText(error.code === "password_too_short" ? { ...error, detail: { min_length: min } } : error)));
    } finally {
      submit.disabled = false;
    }
  });
  main.append(...screenHeader(S.password.title), form);
  current.focus();
}
