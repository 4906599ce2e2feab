// The words of every screen come from api/web/i18n/vi.json, which the server puts in the
// page as a JSON data block (#boot); nothing here holds a sentence of its own.
const boot = JSON.parse(document.getElementById("boot").textContent);

export const S = boot.strings;
export const SCREENS = boot.screens;
export const LIMITS = boot.limits;

function lookup(path) {
  let node = S;
  for (const part of path.split(".")) {
    if (node == null || typeof node !== "object") return undefined;
    node = node[part];
  }
  return node;
}

// t("upload.count", {n: 3}) → the string with {n} filled in; a missing key shows itself.
export function t(path, vars = {}) {
  const template = lookup(path);
  if (typeof template !== "string") return path;
  return template.replace(/\{(\w+)\}/g, (all, name) => (vars[name] != null ? String(vars[name]) : all));
}

// A label from a table of values (roles, statuses, document types), the value itself otherwise.
export function label(group, value) {
  if (value == null || value === "") return S.app.none;
  const found = S[group] && S[group][value];
  return typeof found === "string" ? found : String(value);
}

// The Vietnamese sentence for an API error ({code, detail}); every stable code is in vi.json.
export function errorText(error) {
  const code = (error && error.code) || "_unknown";
  const detail = (error && error.detail && typeof error.detail === "object" && !Array.isArray(error.detail))
    ? error.detail : {};
  const vars = { code, message: error && error.message ? error.message : "", ...detail };
  if (detail.max_bytes) vars.max = Math.round(detail.max_bytes / 1048576) + " MB";
  if (detail.max_pages) vars.max = detail.max_pages;
  if (detail.retry_after) vars.minutes = Math.max(1, Math.ceil(detail.retry_after / 60));
  if (detail.min_length) vars.min = detail.min_length;
  if (code === "password_too_short" && !vars.min) vars.min = LIMITS.password_min_length;
  if (code === "validation_error" || code === "unprocessable") return t("errors.validation_error");
  return S.errors[code] ? t("errors." + code, vars) : t("errors._unknown", vars);
}
