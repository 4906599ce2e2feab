// A page image with zoom, rotation and boxes drawn over it (search hits, a field's source).
// Boxes are placed in percent of the image, so they follow every zoom without recomputing.
import { api } from "./api.js";
import { fill, h } from "./dom.js";
import { errorText, S, t } from "./i18n.js";

const STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3];

export class PageViewer {
  constructor({ label }) {
    this.zoom = 2;  // index in STEPS: 1 = the width of the frame
    this.rotation = 0;
    this.image = h("img", { class: "page-image", alt: "", decoding: "async" });
    this.boxes = h("div", { class: "boxes", "aria-hidden": "true" });
    this.canvas = h("div", { class: "canvas" }, this.image, this.boxes);
    this.wrap = h("div", { class: "canvas-wrap" }, this.canvas);
    this.stage = h("div", { class: "stage", tabindex: "0", role: "group", "aria-label": label }, this.wrap);
    this.message = h("p", { class: "muted", "aria-live": "polite" });
    const button = (text, action, id) => h("button", { type: "button", class: "button button-small", id, onclick: action }, text);
    this.toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": label },
      button(S.doc.zoom_out, () => this.setZoom(this.zoom - 1), "zoom-out"),
      button(S.doc.zoom_fit, () => this.setZoom(2), "zoom-fit"),
      button(S.doc.zoom_in, () => this.setZoom(this.zoom + 1), "zoom-in"),
      button(S.doc.rotate, () => this.rotate(), "rotate"));
    this.element = h("div", { class: "viewer" }, this.toolbar, this.stage, this.message);
    this.image.addEventListener("load", () => this.layout());
    this.onResize = () => this.layout();
    window.addEventListener("resize", this.onResize);
    this.onKey = (event) => this.key(event);
    document.addEventListener("keydown", this.onKey);
  }

  destroy() {
    window.removeEventListener("resize", this.onResize);
    document.removeEventListener("keydown", this.onKey);
  }

  key(event) {
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "+" || event.key === "=") this.setZoom(this.zoom + 1);
    else if (event.key === "-" || event.key === "_") this.setZoom(this.zoom - 1);
    else if (event.key === "r" || event.key === "R") this.rotate();
    else return;
    event.preventDefault();
  }

  show(src, alt) {
    fill(this.message);
    this.image.alt = alt;
    this.image.onerror = async () => {
      try { await api("GET", src); } catch (error) { fill(this.message, t("doc.image_error", { reason: errorText(error) })); }
    };
    this.image.src = src;
  }

  setZoom(index) {
    this.zoom = Math.max(0, Math.min(STEPS.length - 1, index));
    this.layout();
  }

  rotate() {
    this.rotation = (this.rotation + 90) % 360;
    this.layout();
  }

  layout() {
    const natural = this.image.naturalWidth ? this.image.naturalHeight / this.image.naturalWidth : 1.414;
    const frame = Math.max(200, this.stage.clientWidth - 4);
    const sideways = this.rotation % 180 !== 0;
    const width = Math.round((sideways ? frame / natural : frame) * STEPS[this.zoom]);
    const height = Math.round(width * natural);
    const [outerW, outerH] = sideways ? [height, width] : [width, height];
    Object.assign(this.wrap.style, { width: outerW + "px", height: outerH + "px" });
    Object.assign(this.canvas.style, { width: width + "px", height: height + "px",
      transform: `translate(${(outerW - width) / 2}px, ${(outerH - height) / 2}px) rotate(${this.rotation}deg)` });
  }

  // boxes: [{left, top, width, height, kind}] in the pixel space of an image imageW × imageH.
  mark(boxes, imageW, imageH) {
    fill(this.boxes, boxes.map((b) => {
      const box = h("span", { class: "box box-" + (b.kind || "hit") });
      Object.assign(box.style, { left: (100 * b.left) / imageW + "%", top: (100 * b.top) / imageH + "%",
        width: (100 * b.width) / imageW + "%", height: (100 * b.height) / imageH + "%" });
      return box;
    }));
  }

  scrollToBoxes() {
    const first = this.boxes.firstElementChild;
    if (first) first.scrollIntoView({ block: "center", inline: "center", behavior: "smooth" });
  }
}
