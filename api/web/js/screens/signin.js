// Đăng nhập: username and password; a wrong one, a lock (with the time it ends) and a
// disabled account each get their own plain sentence.
import { api } from "../api.js";
import { alertBox, field, fill, h, screenHeader } from "../dom.js";
import { time } from "../format.js";
import { errorText, S, t } from "../i18n.js";

function failureText(error) {
  if (error.code === "invalid_credentials") return S.signin.invalid_credentials;
  if (error.code === "account_disabled") return S.signin.disabled;
  if (error.code === "account_locked") {
    const seconds = (error.detail && error.detail.retry_after) || 60;
    const until = (error.detail && error.detail.until) || new Date(Date.now() + seconds * 1000).toISOString();
    return t("signin.locked", { minutes: Math.max(1, Math.ceil(seconds / 60)), time: time(until) });
  }
  return errorText(error);
}

export function render(main, ctx) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none",
    spellcheck: "false", maxlength: "128" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true,
    maxlength: "1024" });
  const show = h("input", { type: "checkbox", id: "show-password",
    onchange: () => { password.type = show.checked ? "text" : "password"; } });
  const message = h("div", { id: "signin-message" });
  const submit = h("button", { type: "submit", class: "button button-primary" }, S.signin.submit);
  const form = h("form", { class: "card narrow", novalidate: true },
    message,
    field(S.signin.username, username),
    field(S.signin.password, password),
    h("div", { class: "check" }, show, h("label", { for: "show-password" }, S.signin.show_password)),
    h("div", { class: "actions" }, submit));
  if (ctx.query.get("ended")) fill(message, alertBox("warn", S.app.session_ended));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) { (username.value.trim() ? password : username).focus(); return; }
    submit.disabled = true;
    submit.textContent = S.signin.working;
    try {
      const body = await api("POST", "/api/v1/session", { json: { username: username.value.trim(), password: password.value } });
      ctx.setSession(body);
      const next = ctx.query.get("next");
      ctx.navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    } catch (error) {
      fill(message, alertBox("error", failureText(error)));
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = S.signin.submit;
    }
  });
  main.append(...screenHeader(S.signin.title, S.signin.help), form);
  username.focus();
}
