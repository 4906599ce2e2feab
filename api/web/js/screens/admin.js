// Quản trị: people's accounts (create, disable, reset password), API keys for other systems
// (the secret shown once, revoke), and the audit log (filters, CSV export).
import { api, withQuery } from "../api.js";
import { alertBox, field, fill, h, screenHeader } from "../dom.js";
import { dateTime } from "../format.js";
import { errorText, label, S, t } from "../i18n.js";

const USER_ROLES = ["clerk", "officer", "admin"];
const KEY_ROLES = ["portal", "clerk", "officer", "admin"];

function roleSelect(roles) {
  return h("select", { name: "role" }, roles.map((r) => h("option", { value: r }, label("roles", r))));
}

function cell(name, ...content) { return h("td", { "data-label": name }, ...content); }

function secretBox(prefix, value, help) {
  const code = h("code", { class: "secret", id: "secret" }, value);
  const copy = h("button", { type: "button", class: "button button-small", onclick: async () => {
    try { await navigator.clipboard.writeText(value); copy.textContent = S.app.copied; } catch (error) { /* select it by hand */ }
  } }, S.app.copy);
  return alertBox("ok", h("p", {}, prefix, code, " ", copy), h("p", {}, help));
}

function usersPanel(panel, ctx) {
  const username = h("input", { name: "username", autocomplete: "off", required: true, maxlength: "64" });
  const displayName = h("input", { name: "display_name", autocomplete: "off", required: true, maxlength: "128" });
  const role = roleSelect(USER_ROLES);
  const agency = h("input", { name: "agency", autocomplete: "off", maxlength: "128" });
  const message = h("div", { id: "users-message" });
  const table = h("tbody", { id: "users" });
  const form = h("form", { class: "card", id: "create-user", novalidate: true },
    h("div", { class: "grid-2" }, field(S.admin.username, username), field(S.admin.display_name, displayName),
      field(S.admin.role, role), field(S.admin.agency, agency)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button button-primary" }, S.admin.create_user)));
  fill(panel, h("p", { class: "screen-help" }, S.admin.users_help), message, form,
    h("table", { class: "table" }, h("thead", {}, h("tr", {}, [S.admin.username, S.admin.display_name, S.admin.role,
      S.admin.agency, S.admin.state, S.admin.last_sign_in, ""].map((x) => h("th", { scope: "col" }, x)))), table));

  async function act(action, user) {
    try {
      if (action === "reset") {
        if (!confirm(t("admin.confirm_reset", { name: user.username }))) return;
        const body = await api("POST", `/api/v1/users/${user.id}/reset-password`);
        fill(message, secretBox(t("admin.one_time", { name: user.username }), body.password, S.admin.one_time_help));
      } else {
        if (action === "disable" && !confirm(t("admin.confirm_disable", { name: user.username }))) return;
        await api("PATCH", `/api/v1/users/${user.id}`, { json: { disabled: action === "disable" } });
      }
      load();
    } catch (error) { fill(message, alertBox("error", errorText(error))); }
  }

  async function load() {
    const users = await api("GET", "/api/v1/users");
    fill(table, users.map((u) => h("tr", { dataset: { username: u.username } },
      cell(S.admin.username, u.username), cell(S.admin.display_name, u.display_name), cell(S.admin.role, label("roles", u.role)),
      cell(S.admin.agency, u.agency || S.app.none),
      cell(S.admin.state, u.disabled ? S.admin.disabled : S.admin.active, u.must_change_password ? ` · ${S.admin.must_change}` : ""),
      cell(S.admin.last_sign_in, u.last_sign_in_at ? dateTime(u.last_sign_in_at) : S.admin.never),
      cell("", h("span", { class: "row-actions" },
        h("button", { type: "button", class: "button button-small", "aria-label": t(u.disabled ? "admin.enable" : "admin.disable", { name: u.username }),
          onclick: () => act(u.disabled ? "enable" : "disable", u) }, u.disabled ? S.admin.enable_short : S.admin.disable_short),
        h("button", { type: "button", class: "button button-small", "aria-label": t("admin.reset", { name: u.username }),
          onclick: () => act("reset", u) }, S.admin.reset_short))))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !displayName.value.trim()) { (username.value.trim() ? displayName : username).focus(); return; }
    try {
      const body = await api("POST", "/api/v1/users", { json: { username: username.value.trim(),
        display_name: displayName.value.trim(), role: role.value, agency: agency.value.trim() || null } });
      fill(message, alertBox("ok", t("admin.user_created", { name: body.user.username })),
        secretBox(t("admin.one_time", { name: body.user.username }), body.password, S.admin.one_time_help));
      form.reset();
      load();
    } catch (error) { fill(message, alertBox("error", errorText(error))); }
  });
  return load();
}

function keysPanel(panel) {
  const name = h("input", { name: "name", autocomplete: "off", required: true, maxlength: "128" });
  const role = roleSelect(KEY_ROLES);
  const agency = h("input", { name: "agency", autocomplete: "off", maxlength: "128" });
  const expires = h("input", { name: "expires", type: "date" });
  const message = h("div", { id: "keys-message" });
  const table = h("tbody", { id: "keys" });
  const form = h("form", { class: "card", id: "create-key", novalidate: true },
    h("div", { class: "grid-2" }, field(S.admin.key_name, name), field(S.admin.key_role, role),
      field(S.admin.key_agency, agency), field(S.admin.key_expires, expires)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button button-primary" }, S.admin.create_key)));
  fill(panel, h("p", { class: "screen-help" }, S.admin.keys_help), message, form,
    h("table", { class: "table" }, h("thead", {}, h("tr", {}, [S.admin.key_name, S.admin.key_role, S.admin.prefix, S.admin.state,
      S.admin.expires, S.admin.last_used, ""].map((x) => h("th", { scope: "col" }, x)))), table));

  async function load() {
    const keys = await api("GET", "/api/v1/keys");
    fill(table, keys.map((k) => h("tr", {},
      cell(S.admin.key_name, k.name), cell(S.admin.key_role, label("roles", k.role)), cell(S.admin.prefix, h("code", {}, k.prefix)),
      cell(S.admin.state, k.active ? S.admin.active : k.revoked_at ? S.admin.revoked : S.admin.expired),
      cell(S.admin.expires, k.expires_at ? dateTime(k.expires_at) : S.app.none),
      cell(S.admin.last_used, k.last_used_at ? dateTime(k.last_used_at) : S.admin.never),
      cell("", k.active ? h("button", { type: "button", class: "button button-small", "aria-label": t("admin.revoke", { name: k.name }),
        onclick: async () => {
          if (!confirm(t("admin.confirm_revoke", { name: k.name }))) return;
          try { await api("DELETE", `/api/v1/keys/${k.id}`); load(); } catch (error) { fill(message, alertBox("error", errorText(error))); }
        } }, S.admin.revoke_short) : ""))));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!name.value.trim()) { name.focus(); return; }
    try {
      const body = await api("POST", "/api/v1/keys", { json: { name: name.value.trim(), role: role.value,
        agency: agency.value.trim() || null, expires_at: expires.value ? `${expires.value}T23:59:59+07:00` : null } });
      fill(message, secretBox(S.admin.key_secret, body.secret, S.admin.key_secret_help));
      form.reset();
      load();
    } catch (error) { fill(message, alertBox("error", errorText(error))); }
  });
  return load();
}

function auditPanel(panel) {
  const inputs = {
    user_id: h("input", { name: "user_id", inputmode: "numeric", autocomplete: "off" }),
    key_id: h("input", { name: "key_id", inputmode: "numeric", autocomplete: "off" }),
    action: h("input", { name: "action", autocomplete: "off", maxlength: "64" }),
    owner_id: h("input", { name: "owner_id", inputmode: "numeric", autocomplete: "off", maxlength: "40" }),
    from: h("input", { name: "from", type: "date" }),
    to: h("input", { name: "to", type: "date" }),
  };
  const labels = { user_id: S.admin.audit_user, key_id: S.admin.audit_key, action: S.admin.audit_action,
    owner_id: S.admin.audit_owner, from: S.admin.audit_from, to: S.admin.audit_to };
  const csv = h("a", { class: "button", id: "audit-csv", href: "/api/v1/audit/export?format=csv", download: "" }, S.admin.audit_csv);
  const message = h("div", {});
  const table = h("tbody", { id: "audit" });
  const more = h("button", { type: "button", class: "button", hidden: true }, S.admin.audit_more);
  const form = h("form", { class: "card", novalidate: true },
    h("div", { class: "grid-3" }, Object.entries(inputs).map(([k, el]) => field(labels[k], el))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button button-primary" }, S.admin.audit_filter), csv));
  fill(panel, h("p", { class: "screen-help" }, S.admin.audit_help), form, message,
    h("table", { class: "table" }, h("thead", {}, h("tr", {}, [S.admin.audit_at, S.admin.audit_who, S.admin.audit_action,
      S.admin.audit_target, S.admin.audit_owner, S.admin.audit_purpose].map((x) => h("th", { scope: "col" }, x)))), table), more);

  function filters() {
    const out = {};
    for (const [k, el] of Object.entries(inputs)) {
      const v = el.value.trim();
      if (!v) continue;
      out[k] = k === "from" ? `${v}T00:00:00` : k === "to" ? `${v}T23:59:59` : v;
    }
    return out;
  }

  function who(e) {
    if (e.user_id != null) return t("admin.who_user", { id: e.user_id });
    if (e.key_id != null) return t("admin.who_key", { id: e.key_id });
    return S.admin.who_system;
  }

  let before = null;
  async function load(append = false) {
    try {
      const body = await api("GET", "/api/v1/audit", { query: { ...filters(), limit: 50, before_id: append ? before : null } });
      const rows = body.events.map((e) => h("tr", {}, cell(S.admin.audit_at, dateTime(e.at)), cell(S.admin.audit_who, who(e)),
        cell(S.admin.audit_action, e.action), cell(S.admin.audit_target, [e.target_type, e.target_id].filter(Boolean).join(" ")),
        cell(S.admin.audit_owner, e.owner_id || ""), cell(S.admin.audit_purpose, e.purpose || "")));
      if (append) table.append(...rows); else fill(table, rows);
      fill(message, !append && !rows.length ? h("p", { class: "muted" }, S.admin.audit_none) : null);
      before = body.next_before_id;
      more.hidden = before == null;
      csv.href = withQuery("/api/v1/audit/export", { format: "csv", ...filters() });
    } catch (error) { fill(message, alertBox("error", errorText(error))); }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  more.addEventListener("click", () => load(true));
  return load();
}

const PANELS = { users: usersPanel, keys: keysPanel, audit: auditPanel };

export async function render(main, ctx) {
  const chosen = PANELS[ctx.query.get("muc")] ? ctx.query.get("muc") : "users";
  const tabs = h("nav", { class: "chips", "aria-label": S.admin.tabs_label }, Object.keys(PANELS).map((k) =>
    h("a", { href: `/quan-tri?muc=${k}`, class: "chip", "aria-current": k === chosen ? "page" : null }, S.admin[k])));
  const panel = h("section", { class: "panel", id: "admin-panel", "aria-label": S.admin[chosen] });
  main.append(...screenHeader(S.admin.title, S.admin.help), tabs, panel);
  try { await PANELS[chosen](panel, ctx); } catch (error) { fill(panel, alertBox("error", errorText(error))); }
}
