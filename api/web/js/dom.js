// Building the page without HTML strings: every piece of data becomes a text node, so OCR
// text and file names can never become markup (the CSP also forbids innerHTML: Trusted Types).

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value" || key === "checked" || key === "disabled" || key === "selected") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'" };

// The server's snippet is escaped text with <mark>…</mark> around matches: split on those two
// tags only, decode the escapes, and build text nodes and <mark> elements (no parsing of HTML).
export function snippet(escaped) {
  const frag = document.createDocumentFragment();
  let marked = false;
  for (const part of String(escaped).split(/(<\/?mark>)/)) {
    if (part === "<mark>") { marked = true; continue; }
    if (part === "</mark>") { marked = false; continue; }
    if (!part) continue;
    const text = part.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (all, name) => ENTITIES[name]);
    frag.append(marked ? h("mark", {}, text) : document.createTextNode(text));
  }
  return frag;
}

// Vietnamese folded for matching: no tone or vowel marks, đ → d, lower case.
export function fold(text) {
  return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
}

export function queryTerms(q) {
  return fold(q).replace(/["()]/g, " ").split(/\s+/).filter((w) => w.length > 1 && !["and", "or", "not"].includes(w));
}

// ``text`` with every word whose folded form is one of ``terms`` inside <mark>.
export function highlight(text, terms) {
  const frag = document.createDocumentFragment();
  if (!terms.length) { frag.append(text); return frag; }
  const wanted = new Set(terms);
  for (const part of String(text).split(/([\p{L}\p{N}]+)/u)) {
    if (!part) continue;
    frag.append(wanted.has(fold(part)) ? h("mark", {}, part) : document.createTextNode(part));
  }
  return frag;
}

export function field(labelText, input, help) {
  const id = input.id || "f-" + Math.random().toString(36).slice(2, 9);
  input.id = id;
  const helpEl = help ? h("p", { class: "help", id: id + "-help" }, help) : null;
  if (helpEl) input.setAttribute("aria-describedby", helpEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, labelText), input, helpEl);
}

export function alertBox(kind, ...children) {
  return h("div", { class: "alert alert-" + kind, role: kind === "error" ? "alert" : "status" }, ...children);
}

export function screenHeader(title, help) {
  return [h("h1", { tabindex: "-1", class: "screen-title" }, title), help ? h("p", { class: "screen-help" }, help) : null];
}
