// Calls to the sohoa API with the session cookie: the CSRF token rides on every change,
// errors come back as ApiError {status, code, message, detail} (the API's one error shape).
let csrfToken = null;

export function setCsrf(token) { csrfToken = token; }
export function csrf() { return csrfToken; }

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value == null || value === "" || value === false) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

const SIGNED_OUT = new Set(["session_expired", "invalid_session", "not_signed_in", "missing_api_key"]);

export async function api(method, path, { json, query, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(withQuery(path, query), {
      method, headers, signal, credentials: "same-origin",
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", String(error));
  }
  if (response.status === 204) return null;
  let body = null;
  try { body = await response.json(); } catch (error) { body = null; }
  if (response.ok) return body;
  const info = (body && body.error) || { code: "_unknown", message: response.statusText };
  const failure = new ApiError(response.status, info.code, info.message, info.detail);
  if (response.status === 401 && SIGNED_OUT.has(info.code) && !path.startsWith("/api/v1/session")) {
    window.dispatchEvent(new CustomEvent("sohoa:signed-out", { detail: info.code }));
  }
  throw failure;
}
