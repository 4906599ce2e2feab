// Trang web nhỏ của sohoa: tra cứu và tải lên lô hồ sơ. Không cần bước build.
"use strict";

const KEY_STORAGE = "sohoa.apiKey";
const PAGE_SIZE = 10;
const STATUS_VI = { queued: "Đang chờ", processing: "Đang xử lý", indexed: "Hoàn tất", failed: "Lỗi" };
const ERROR_VI = {
  unsupported_type: "Định dạng không được hỗ trợ (chỉ nhận PDF, TIFF, JPEG, PNG)",
  file_too_large: "Tệp quá lớn",
  too_many_pages: "Tài liệu có quá nhiều trang",
  too_many_files: "Lô có quá nhiều tệp",
  encrypted_pdf: "PDF có mật khẩu, hãy tải bản không khóa",
  corrupt_file: "Tệp bị hỏng hoặc không đầy đủ",
  empty_file: "Tệp rỗng",
  image_too_large: "Ảnh quá lớn",
  missing_api_key: "Chưa nhập khóa API",
  invalid_api_key: "Khóa API không đúng",
  revoked_api_key: "Khóa API đã bị thu hồi",
  expired_api_key: "Khóa API đã hết hạn",
  forbidden: "Khóa API này không có quyền thực hiện thao tác",
  invalid_query: "Câu tìm kiếm không hợp lệ",
  search_unavailable: "Dịch vụ tìm kiếm tạm thời không hoạt động",
};

const $ = (id) => document.getElementById(id);
let searchState = { q: "", page: 1, total: 0 };

function apiKey() { return localStorage.getItem(KEY_STORAGE) || ""; }

function showKeyState() {
  const has = Boolean(apiKey());
  $("key-status").textContent = has ? "Đã có khóa API" : "Chưa có khóa API";
  $("key-form").hidden = has;
}

function errorText(error) {
  if (!error) return "";
  return ERROR_VI[error.code] || error.message || error.code;
}

async function call(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + apiKey() }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.ok) return response;
  let error = { code: "http_" + response.status, message: response.statusText };
  try { error = (await response.json()).error || error; } catch (e) { /* không phải JSON */ }
  if (response.status === 401) { $("key-form").hidden = false; }
  throw error;
}

// Snippet đã được máy chủ escape; chỉ giữ lại thẻ <mark>.
function safeSnippet(html) { return html.replace(/<(?!\/?mark>)/g, "&lt;"); }

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

async function runSearch(page) {
  searchState.page = page;
  $("search-info").textContent = "Đang tìm…";
  $("search-info").className = "info";
  $("results").replaceChildren();
  const params = new URLSearchParams({ q: searchState.q, page: String(page), size: String(PAGE_SIZE) });
  try {
    const body = await (await call("/api/v1/search?" + params)).json();
    searchState.total = body.total;
    const found = body.total_is_capped ? `hơn ${body.total.toLocaleString("vi-VN")}` : String(body.total);
    $("search-info").textContent = body.total ? `Tìm thấy ${found} trang phù hợp.` : "Không tìm thấy kết quả.";
    for (const hit of body.hits) $("results").append(renderHit(hit));
    const pages = Math.ceil(body.total / PAGE_SIZE);
    $("pager").hidden = pages <= 1;
    $("page-no").textContent = `Trang ${page} / ${pages}`;
    $("prev").disabled = page <= 1;
    $("next").disabled = page >= pages;
  } catch (error) {
    $("search-info").textContent = errorText(error);
    $("search-info").className = "error";
  }
}

function renderHit(hit) {
  const li = el("li");
  const title = el("a", `${hit.filename || hit.document_id} — trang ${hit.page}`);
  title.href = "#";
  title.addEventListener("click", (event) => { event.preventDefault(); showDocument(hit.document_id, hit.page); });
  const about = [hit.owner_name, hit.doc_type, hit.doc_number && `số ${hit.doc_number}`,
    hit.issue_date && `ngày ${hit.issue_date.split("-").reverse().join("/")}`].filter(Boolean);
  if (about.length) li.append(el("p", about.join(" · "), "who"));
  const snippet = el("p", undefined, "snippet");
  snippet.innerHTML = safeSnippet(hit.snippet);
  const open = el("a", "Mở bản gốc");
  open.href = "#";
  open.addEventListener("click", (event) => { event.preventDefault(); openOriginal(hit.document_id); });
  const meta = el("div", `Điểm: ${hit.score.toFixed(2)} · `, "meta");
  meta.append(open);
  li.prepend(title);
  li.append(snippet, meta);
  return li;
}

async function showDocument(id, pageNumber) {
  const view = $("doc-view");
  view.hidden = false;
  view.replaceChildren(el("p", "Đang tải…", "info"));
  try {
    const doc = await (await call("/api/v1/documents/" + encodeURIComponent(id))).json();
    view.replaceChildren(el("h3", doc.filename),
      el("p", `${STATUS_VI[doc.status] || doc.status} · ${doc.pages_total} trang · SHA-256 ${doc.sha256}`, "meta"));
    for (const page of doc.pages) {
      const conf = page.confidence == null ? "" : ` (độ tin cậy ${page.confidence.toFixed(0)}%)`;
      const heading = el("h4", `Trang ${page.number}${conf}${page.needs_review ? " — cần kiểm tra lại" : ""}`);
      const text = el("pre", page.text || errorText(page.error) || "(chưa có nội dung)");
      view.append(heading, text);
      if (page.number === pageNumber) heading.scrollIntoView({ block: "nearest" });
    }
  } catch (error) {
    view.replaceChildren(el("p", errorText(error), "error"));
  }
}

async function openOriginal(id) {
  try {
    const blob = await (await call(`/api/v1/documents/${encodeURIComponent(id)}/original`)).blob();
    window.open(URL.createObjectURL(blob), "_blank");
  } catch (error) {
    $("search-info").textContent = errorText(error);
    $("search-info").className = "error";
  }
}

async function upload(event) {
  event.preventDefault();
  const form = new FormData();
  for (const file of $("files").files) form.append("files", file, file.name);
  for (const name of ["agency_code", "procedure_code", "note"]) {
    if ($(name).value.trim()) form.append(name, $(name).value.trim());
  }
  $("upload-info").textContent = "Đang tải lên…";
  $("upload-info").className = "info";
  try {
    const body = await (await call("/api/v1/batches", { method: "POST", body: form })).json();
    $("upload-info").textContent = `Đã nhận lô ${body.batch_id}.`;
    renderBatch(body.documents);
    pollBatch(body.batch_id);
  } catch (error) {
    $("upload-info").textContent = errorText(error);
    $("upload-info").className = "error";
  }
}

function renderBatch(documents) {
  const rows = documents.map((doc) => {
    const tr = el("tr");
    const progress = doc.pages_total ? `${doc.pages_done || 0}/${doc.pages_total}` : "";
    const note = doc.error ? errorText(doc.error) : (doc.duplicate ? "Trùng tệp đã có, dùng lại kết quả" : "");
    tr.append(el("td", doc.filename), el("td", STATUS_VI[doc.status] || doc.status, "st-" + doc.status),
              el("td", progress), el("td", note, doc.error ? "error" : ""));
    return tr;
  });
  $("batch-table").hidden = false;
  $("batch-table").tBodies[0].replaceChildren(...rows);
}

async function pollBatch(batchId) {
  try {
    const batch = await (await call("/api/v1/batches/" + encodeURIComponent(batchId))).json();
    renderBatch(batch.documents);
    const c = batch.counts;
    $("upload-info").textContent =
      `Lô ${batchId}: ${c.indexed} hoàn tất, ${c.processing} đang xử lý, ${c.queued} đang chờ, ${c.failed} lỗi.`;
    if (batch.status !== "done") setTimeout(() => pollBatch(batchId), 2000);
  } catch (error) {
    $("upload-info").textContent = errorText(error);
    $("upload-info").className = "error";
  }
}

$("key-entry").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem(KEY_STORAGE, $("key-input").value.trim());
  $("key-input").value = "";
  showKeyState();
});
$("key-change").addEventListener("click", () => { $("key-form").hidden = false; $("key-input").focus(); });
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  searchState.q = $("q").value.trim();
  if (searchState.q) runSearch(1);
});
$("prev").addEventListener("click", () => runSearch(searchState.page - 1));
$("next").addEventListener("click", () => runSearch(searchState.page + 1));
$("upload-form").addEventListener("submit", upload);
showKeyState();
