// Tải lên: files or whole folders, dropped or picked; the batch is opened once under a key
// this browser made up (a second click, a resent request or a reload opens the same one),
// then every file goes up over tus with its own progress, cancel and retry.
import { api } from "../api.js";
import { alertBox, field, fill, h, screenHeader } from "../dom.js";
import { bytes, dateTime, duration } from "../format.js";
import { errorText, S, t } from "../i18n.js";
import { FileUpload, loadTus } from "../uploader.js";

const PARALLEL = 2;
const FINAL = new Set(["accepted", "duplicate", "rejected", "cancelled", "failed"]);

function pendingKey(userId) { return `sohoa.upload.pending.${userId}`; }

function randomKey() {
  const raw = new Uint8Array(16);
  crypto.getRandomValues(raw);  // also on a plain-http office address, unlike randomUUID
  return Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Where a file of a dropped folder was in it ("ho-so/lan-2/a.png"): its entry's path, kept
// here because the File a directory entry gives has an empty webkitRelativePath.
const droppedPaths = new WeakMap();

// The file's path as the clerk chose it: inside the dropped or picked folder, else its name.
function relativePath(file) { return droppedPaths.get(file) || file.webkitRelativePath || file.name; }

// Which file this is, for the list (the same file chosen twice joins once) and for resuming
// after a reload (the unfinished batch's files, keyed by it): its path in the chosen folder,
// not only its name, with its size and modification time. Two "scan-0001.tif" of two
// subfolders often have the same size and time (uncompressed TIFFs copied from a FAT USB
// stick): by name alone the second was turned away and the batch silently missed it. A file
// on its own keeps its name (its path is just that): its key is what it always was. The same
// file chosen another way (picked alone after being part of a folder, or within a different
// parent folder) is another key: it is listed and sent again (the server knows the bytes, by
// their hash, and links the same document) and its upload starts again from zero.
function fileKey(file) { return [relativePath(file), file.size, file.lastModified].join("/"); }

// The folders above the file, shown under its name: two "scan-0001.pdf" from two subfolders
// must not look alike. Empty for a file picked or dropped on its own.
function folderOf(file) { return relativePath(file).split("/").filter(Boolean).slice(0, -1).join(" / "); }

// A hidden file, or a file inside a hidden folder of a picked one (``.thumbnails/x.png``):
// what file managers and office suites leave behind, never a scan of the batch.
function hidden(file) { return relativePath(file).split("/").some((part) => part.startsWith(".")); }

// Files of a dropped folder, walked through its directory entries (hidden ones skipped).
async function entryFiles(entry) {
  if (entry.name.startsWith(".")) return [];
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    droppedPaths.set(file, entry.fullPath.replace(/^\/+/, ""));
    return [file];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const found = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) found.push(...await entryFiles(child));
  }
  return found;
}

async function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items || [])].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry())
    .filter(Boolean);
  if (!entries.length) return [...dataTransfer.files];
  const files = [];
  for (const entry of entries) files.push(...await entryFiles(entry));
  return files;
}

class UploadScreen {
  constructor(main, ctx) {
    this.main = main;
    this.ctx = ctx;
    this.user = ctx.me.user;
    this.items = [];
    this.batchId = null;
    this.sending = false;
    this.pending = this.loadPending();
  }

  loadPending() {
    try { return JSON.parse(localStorage.getItem(pendingKey(this.user.id)) || "null"); } catch (error) { return null; }
  }

  savePending() {
    if (this.pending) localStorage.setItem(pendingKey(this.user.id), JSON.stringify(this.pending));
    else localStorage.removeItem(pendingKey(this.user.id));
  }

  render() {
    const fixedAgency = this.user.agency;
    this.agency = h("input", { name: "agency_code", list: "agency-codes", maxlength: "64", autocomplete: "off" });
    this.procedure = h("input", { name: "procedure_code", list: "procedure-codes", maxlength: "64", autocomplete: "off" });
    this.note = h("input", { name: "note", maxlength: "500", autocomplete: "off" });
    this.agencyList = h("datalist", { id: "agency-codes" });
    this.procedureList = h("datalist", { id: "procedure-codes" });
    const pickFiles = h("input", { type: "file", id: "pick-files", multiple: true, class: "visually-hidden",
      accept: ".pdf,.tif,.tiff,.jpg,.jpeg,.png,application/pdf,image/*", onchange: (e) => { this.add([...e.target.files]); e.target.value = ""; } });
    const pickFolder = h("input", { type: "file", id: "pick-folder", multiple: true, webkitdirectory: true,
      class: "visually-hidden", onchange: (e) => { this.add([...e.target.files]); e.target.value = ""; } });
    this.dropZone = h("div", { class: "drop", id: "drop-zone" },
      h("p", { class: "drop-text" }, S.upload.drop),
      h("div", { class: "actions" },
        pickFiles, h("label", { for: "pick-files", class: "button" }, S.upload.pick_files),
        pickFolder, h("label", { for: "pick-folder", class: "button" }, S.upload.pick_folder)));
    this.wireDrop();
    this.pendingBox = h("div", { id: "pending" });
    this.list = h("ul", { class: "files", id: "file-list", "aria-label": S.upload.files_title });
    this.countLine = h("p", { class: "muted", id: "file-count" }, S.upload.no_files);
    this.sendButton = h("button", { type: "submit", class: "button button-primary", id: "send" }, S.upload.send);
    this.resetButton = h("button", { type: "button", class: "button", id: "new-batch", hidden: true,
      onclick: () => this.reset() }, S.upload.clear);
    this.summary = h("div", { id: "upload-summary", "aria-live": "polite" });
    const form = h("form", { class: "card", id: "upload-form", novalidate: true },
      h("div", { class: "grid-2" },
        fixedAgency ? h("p", { class: "fixed" }, t("upload.agency_fixed", { agency: fixedAgency }))
          : field(S.upload.agency, this.agency, S.upload.agency_help),
        field(S.upload.procedure, this.procedure, S.upload.procedure_help)),
      field(S.upload.note, this.note), this.agencyList, this.procedureList,
      this.dropZone,
      h("h2", {}, S.upload.files_title), this.countLine, this.list,
      h("div", { class: "actions" }, this.sendButton, this.resetButton));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.main.append(...screenHeader(S.upload.title, S.upload.help), this.pendingBox, form, this.summary);
    this.showPending();
    this.loadCodes();
    loadTus();  // fetched while the clerk picks files
  }

  wireDrop() {
    const zone = this.dropZone;
    const on = (event) => { event.preventDefault(); zone.classList.add("drop-active"); };
    zone.addEventListener("dragenter", on);
    zone.addEventListener("dragover", on);
    zone.addEventListener("dragleave", () => zone.classList.remove("drop-active"));
    zone.addEventListener("drop", async (event) => {
      event.preventDefault();
      zone.classList.remove("drop-active");
      this.add(await droppedFiles(event.dataTransfer));
    });
  }

  async loadCodes() {
    try {
      const codes = await api("GET", "/api/v1/batches/codes");
      fill(this.agencyList, codes.agency_codes.map((c) => h("option", { value: c.value })));
      fill(this.procedureList, codes.procedure_codes.map((c) => h("option", { value: c.value })));
      if (!this.pending && codes.procedure_codes.length && !this.procedure.value) this.procedure.placeholder = codes.procedure_codes[0].value;
    } catch (error) { /* the lists are a help, typing still works */ }
  }

  // A batch this browser opened and did not finish: its files resume when picked again.
  showPending() {
    const p = this.pending;
    const left = p ? Object.values(p.files || {}).filter((f) => !f.done) : [];
    if (!p || !left.length) { fill(this.pendingBox); return; }
    this.batchId = p.batch_id;
    this.agency.value = p.agency_code || "";
    this.procedure.value = p.procedure_code || "";
    this.note.value = p.note || "";
    fill(this.pendingBox, alertBox("warn", h("strong", {}, S.upload.pending_title), " ",
      t("upload.pending_help", { time: dateTime(p.created_at), n: left.length, names: left.map((f) => f.path || f.name).join(", ") }),
      " ", h("button", { type: "button", class: "button button-quiet", id: "forget-pending", onclick: () => this.forget() },
        S.upload.pending_forget)));
  }

  forget() {
    this.pending = null;
    this.batchId = null;
    this.savePending();
    this.showPending();
  }

  add(files) {
    for (const file of files) {
      if (hidden(file)) continue;
      if (this.items.some((i) => i.key === fileKey(file))) { this.ctx.announce(t("upload.duplicate_in_list", { name: relativePath(file) })); continue; }
      const item = { key: fileKey(file), file, status: "waiting", sent: 0, samples: [] };
      item.row = this.row(item);
      this.items.push(item);
      this.list.append(item.row.li);
      const known = this.pending && this.pending.files && this.pending.files[item.key];
      if (this.batchId && known && !known.done) this.startItem(item);  // a file of the unfinished batch: resume
    }
    this.updateCount();
    this.pump();
  }

  // The file's name, and under it in a lighter line the folder it came from (if any); the
  // buttons and the bar are named by the whole path, so a screen reader tells twins apart.
  row(item) {
    const name = relativePath(item.file);
    const folder = folderOf(item.file);
    const status = h("span", { class: "file-status" }, S.upload.waiting);
    const bar = h("progress", { max: "100", value: "0", "aria-label": name });
    const detail = h("span", { class: "file-detail muted" }, bytes(item.file.size));
    const cancel = h("button", { type: "button", class: "button button-small", "aria-label": t("upload.cancel_file", { name }),
      onclick: () => this.cancel(item) }, S.upload.cancel);
    const retry = h("button", { type: "button", class: "button button-small", hidden: true,
      "aria-label": t("upload.retry_file", { name }), onclick: () => this.retry(item) }, S.upload.retry);
    const li = h("li", { class: "file", dataset: { state: "waiting" } },
      h("span", { class: "file-title" }, h("span", { class: "file-name" }, item.file.name),
        folder ? h("span", { class: "file-folder muted" }, t("upload.in_folder", { folder })) : null), bar, h("span", { class: "file-line" }, status, " ", detail),
      h("span", { class: "file-actions" }, cancel, retry));
    return { li, status, bar, detail, cancel, retry };
  }

  setState(item, state, text) {
    item.status = state;
    item.row.li.dataset.state = state;
    item.row.status.textContent = text;
    item.row.cancel.hidden = FINAL.has(state);
    item.row.retry.hidden = !["cancelled", "failed"].includes(state);
    if (FINAL.has(state)) item.row.detail.textContent = bytes(item.file.size);
    this.updateCount();
  }

  updateCount() {
    const total = this.items.reduce((sum, i) => sum + i.file.size, 0);
    this.countLine.textContent = this.items.length ? t("upload.count", { n: this.items.length, size: bytes(total) }) : S.upload.no_files;
  }

  progress(item, sent, total) {
    const now = performance.now();
    if (!item.samples.length && sent > 0 && item.sent === 0) {
      item.resumed = sent;  // the first figure after a reload is what the server had kept
    }
    item.sent = sent;
    item.samples.push([now, sent]);
    while (item.samples.length > 2 && now - item.samples[0][0] > 8000) item.samples.shift();
    if (now - (item.painted || 0) < 250 && sent < total) return;
    item.painted = now;
    const [t0, b0] = item.samples[0];
    const speed = now > t0 ? ((sent - b0) * 1000) / (now - t0) : 0;
    item.row.bar.value = total ? Math.floor((sent * 100) / total) : 0;
    const text = speed > 0 ? t("upload.progress", { done: bytes(sent), total: bytes(total), speed: bytes(Math.round(speed)),
      left: duration((total - sent) / speed) }) : t("upload.progress_short", { done: bytes(sent), total: bytes(total) });
    item.row.detail.textContent = text;
    if (item.status !== "uploading") this.setState(item, "uploading", item.resumed ? t("upload.resumed_from", { done: bytes(item.resumed) }) : S.upload.sending);
  }

  async send() {
    if (this.sending) return;
    if (!this.items.length) { this.ctx.announce(S.errors.no_files, "warn"); return; }
    this.sending = true;
    this.sendButton.disabled = true;
    this.sendButton.textContent = S.upload.sending;
    try {
      if (!this.batchId) await this.openBatch();
      this.pump();
    } catch (error) {
      this.sending = false;
      this.sendButton.disabled = false;
      this.sendButton.textContent = S.upload.send;
      fill(this.summary, alertBox("error", errorText(error)));
    }
  }

  async openBatch() {
    if (!this.pending) {  // kept before asking, so a reload during the request reuses the key
      this.pending = { client_key: randomKey(), created_at: new Date().toISOString(), files: {},
        agency_code: this.agency.value.trim(), procedure_code: this.procedure.value.trim(), note: this.note.value.trim() };
      this.savePending();
    }
    const p = this.pending;
    const body = await api("POST", "/api/v1/batches/open", { json: { client_key: p.client_key,
      agency_code: this.user.agency ? null : p.agency_code || null, procedure_code: p.procedure_code || null, note: p.note || null } });
    p.batch_id = body.batch_id;
    this.batchId = body.batch_id;
    this.savePending();
    for (const input of [this.agency, this.procedure, this.note]) input.readOnly = true;
  }

  pump() {
    if (!this.batchId || !this.sending && !this.pending) return;
    const running = this.items.filter((i) => i.status === "uploading" || i.status === "starting").length;
    const waiting = this.items.filter((i) => i.status === "waiting");
    for (const item of waiting.slice(0, Math.max(0, PARALLEL - running))) this.startItem(item);
    this.checkDone();
  }

  startItem(item) {
    if (this.pending) {
      this.pending.files[item.key] = { name: item.file.name, path: relativePath(item.file), size: item.file.size,
        done: false };
      this.savePending();
    }
    this.setState(item, "starting", S.upload.starting);
    item.samples = [];
    item.sent = 0;
    item.task = new FileUpload(item.file, { path: relativePath(item.file), batchId: this.batchId, userId: this.user.id, hooks: {
      progress: (sent, total) => this.progress(item, sent, total),
      waiting: () => this.setState(item, "uploading", S.upload.paused_network),
      done: (document) => this.finished(item, document),
      failed: (error) => this.failed(item, error),
    } });
    item.task.start().catch((error) => this.failed(item, { code: "network_error", message: String(error) }));
  }

  finished(item, document) {
    item.row.bar.value = 100;
    if (document && document.error) this.setState(item, "rejected", t("upload.rejected", { reason: errorText(document.error) }));
    else if (document && document.duplicate) this.setState(item, "duplicate", S.upload.duplicate);
    else this.setState(item, "accepted", S.upload.accepted);
    item.outcome = document;
    this.markDone(item);
  }

  failed(item, error) {
    const creation = ["file_too_large", "empty_file", "unsupported_type", "invalid_metadata", "too_many_files"];
    if (creation.includes(error.code)) {
      this.setState(item, "rejected", t("upload.rejected", { reason: errorText(error) }));
      item.outcome = { filename: item.file.name, error };
      this.markDone(item);
    } else {
      this.setState(item, "failed", t("upload.failed", { reason: errorText(error) }));
    }
    this.pump();
  }

  markDone(item) {
    if (this.pending && this.pending.files[item.key]) {
      this.pending.files[item.key].done = true;
      this.savePending();
    }
    this.pump();
  }

  async cancel(item) {
    if (item.task) await item.task.cancel();
    this.setState(item, "cancelled", S.upload.cancelled);
    if (this.pending) { delete this.pending.files[item.key]; this.savePending(); }
    this.pump();
  }

  retry(item) {
    this.setState(item, "waiting", S.upload.waiting);
    this.pump();
  }

  checkDone() {
    if (!this.items.length || !this.items.every((i) => FINAL.has(i.status))) return;
    const ok = this.items.filter((i) => i.status === "accepted" || i.status === "duplicate").length;
    const rejected = this.items.filter((i) => i.status === "rejected");
    fill(this.summary, alertBox(rejected.length ? "warn" : "ok",
      h("p", { id: "upload-result" }, t("upload.summary", { ok, bad: rejected.length })),
      rejected.length ? [h("h2", {}, S.upload.rejected_title), h("ul", { id: "rejected-list" }, rejected.map((i) =>
        h("li", {}, h("strong", {}, relativePath(i.file)), ": ", errorText(i.outcome.error))))] : null,
      h("p", {}, h("a", { href: `/lo/${encodeURIComponent(this.batchId)}`, id: "open-batch" }, S.upload.open_batch))));
    this.resetButton.hidden = false;
    if (!this.items.some((i) => i.status === "failed")) { this.pending = null; this.savePending(); fill(this.pendingBox); }
  }

  reset() {
    this.stop();
    this.items = [];
    this.batchId = null;
    this.sending = false;
    this.pending = null;
    this.savePending();
    this.main.replaceChildren();
    this.render();
  }

  stop() {
    for (const item of this.items) if (item.task && !FINAL.has(item.status)) item.task.upload && item.task.upload.abort(false);
  }
}

export function render(main, ctx) {
  const screen = new UploadScreen(main, ctx);
  screen.render();
  return () => screen.stop();
}
