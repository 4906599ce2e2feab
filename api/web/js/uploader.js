// One file's trip to the server over tus (tus-js-client, vendored): chunks of 512 KB, each
// acknowledged only once stored; after a dropped line it asks the server how much arrived and
// goes on from there, and after a page reload the same file (picked again) resumes from the
// URL tus-js-client kept in localStorage under the file's fingerprint. The fingerprint holds
// the file's path in the chosen folder (two same-named files of two subfolders, of equal size
// and time, never resume each other's upload), so a file resumes when chosen the same way
// again: picked alone after being sent as part of a folder, it starts again from zero.
import { api, csrf } from "./api.js";

const CHUNK = 512 * 1024;
// Waits between tries of one request; the count starts again after each stored chunk, so a
// line that comes and goes never exhausts it. After the last one the file waits for the
// browser's "online" event (or a minute) and starts again from the stored offset.
const RETRY_DELAYS = [0, 1000, 2000, 4000, 8000, 15000, 30000, 30000, 60000, 60000, 60000];
const TUS_URL = new URL("../vendor/tus.min.js", import.meta.url).href;

let tusLoaded = null;

// tus-js-client's UMD file sets window.tus when run; imported as a module it runs the same.
export function loadTus() {
  tusLoaded = tusLoaded || import(TUS_URL).then(() => window.tus);
  return tusLoaded;
}

function statusOf(error) {
  return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
}

// The API's error {code, detail} from a tus failure, when the server answered one.
export function apiErrorOf(error) {
  const response = error && error.originalResponse;
  if (!response) return { code: "network_error" };
  try {
    const body = JSON.parse(response.getBody() || "{}");
    if (body.error) return body.error;
  } catch (parse) { /* not JSON */ }
  return { code: "_unknown", detail: { status: response.getStatus() } };
}

function retryable(error) {
  const status = statusOf(error);
  return status === 0 || status >= 500 || status === 409 || status === 423 || status === 460;
}

export class FileUpload {
  // path: the file's path in the folder it was chosen with ("ho-so/lan-2/a.png"), its name
  // for a file chosen on its own. hooks: {progress(sent, total), waiting(), done(outcome), failed(apiError)}
  constructor(file, { path, batchId, userId, hooks }) {
    this.file = file;
    this.path = path || file.name;
    this.batchId = batchId;
    this.userId = userId;
    this.hooks = hooks;
    this.upload = null;
    this.resumedFrom = 0;
    this.wakeTimer = null;
    this.stopped = false;
    this.onOnline = () => this.wake();
  }

  fingerprint() {
    const f = this.file;
    return ["sohoa", this.userId, this.batchId, this.path, f.size, f.lastModified].join("/");
  }

  async start() {
    const tus = await loadTus();
    this.stopped = false;
    const fingerprint = this.fingerprint();
    this.upload = new tus.Upload(this.file, {
      endpoint: "/api/v1/uploads",
      chunkSize: CHUNK,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: this.file.name, batch_id: this.batchId, filetype: this.file.type || "" },
      fingerprint: () => Promise.resolve(fingerprint),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: (req) => { if (csrf()) req.setHeader("X-CSRF-Token", csrf()); },
      onShouldRetry: (error) => retryable(error),
      onProgress: (sent, total) => this.hooks.progress(sent, total),
      onSuccess: () => this.finish(),
      onError: (error) => this.error(error),
    });
    const previous = await this.upload.findPreviousUploads();
    if (previous.length) this.upload.resumeFromPreviousUpload(previous[0]);
    this.upload.start();
  }

  error(error) {
    if (this.stopped) return;
    if (retryable(error)) {  // the line is down for longer than the retries: wait for it
      this.hooks.waiting();
      window.addEventListener("online", this.onOnline, { once: true });
      this.wakeTimer = setTimeout(this.onOnline, 60000);
      return;
    }
    this.hooks.failed(apiErrorOf(error));
  }

  wake() {
    clearTimeout(this.wakeTimer);
    window.removeEventListener("online", this.onOnline);
    if (!this.stopped && this.upload) this.upload.start();
  }

  // The last byte is stored: ask what the file became (a document, a duplicate, rejected).
  async finish() {
    const id = this.upload.url.split("/").pop();
    for (let attempt = 0; attempt < 60 && !this.stopped; attempt += 1) {
      try {
        const body = await api("GET", `/api/v1/uploads/${encodeURIComponent(id)}`);
        if (body.state === "done") { this.hooks.done(body.document); return; }
        if (body.state === "failed") { this.hooks.failed(body.error || { code: "_unknown" }); return; }
      } catch (error) {
        if (error.status && error.status < 500) { this.hooks.failed(error); return; }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * (attempt + 1), 5000)));
    }
  }

  // Cancel: stop sending and remove what the server holds of it (tus termination).
  async cancel() {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    window.removeEventListener("online", this.onOnline);
    if (this.upload) {
      try { await this.upload.abort(true); } catch (error) { /* gone already */ }
    }
  }
}
