// Numbers, sizes, dates and durations as a Vietnamese office writes them (dd/mm/yyyy, 24 h).
import { t } from "./i18n.js";

const VN = "Asia/Ho_Chi_Minh";

export function bytes(n) {
  if (n == null) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  const shown = unit === 0 ? String(value) : value.toLocaleString("vi-VN", { maximumFractionDigits: value < 10 ? 1 : 0 });
  return shown + " " + t("units." + units[unit]);
}

export function duration(seconds) {
  if (!isFinite(seconds) || seconds < 0) return "…";
  if (seconds < 60) return t("units.seconds", { n: Math.max(1, Math.round(seconds)) });
  if (seconds < 3600) return t("units.minutes", { n: Math.round(seconds / 60) });
  return t("units.hours", { n: (seconds / 3600).toLocaleString("vi-VN", { maximumFractionDigits: 1 }) });
}

// "2024-05-10" → "10/05/2024" (a calendar date, no time zone involved).
export function day(iso) {
  if (!iso) return t("app.none");
  const [y, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

export function dateTime(iso) {
  if (!iso) return t("app.none");
  return new Date(iso).toLocaleString("vi-VN", { timeZone: VN, hour: "2-digit", minute: "2-digit",
    day: "2-digit", month: "2-digit", year: "numeric" });
}

export function time(iso) {
  return new Date(iso).toLocaleTimeString("vi-VN", { timeZone: VN, hour: "2-digit", minute: "2-digit" });
}

// Today (or ``offset`` days from it) as YYYY-MM-DD in Vietnam.
export function vnDay(offset = 0) {
  const now = new Date(Date.now() + offset * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: VN, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(now);
}

export function percent(confidence) {
  if (confidence == null) return null;
  const value = confidence <= 1 ? confidence * 100 : confidence;
  return Math.round(value);
}
