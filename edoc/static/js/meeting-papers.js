// Reading a meeting paper in the page with pdf.js (vendored from npm in static/vendor/pdfjs: no CDN, and under
// the pages' CSP, script-src 'self': the library and its worker load from our own origin, eval is off).
// Pages are drawn on canvases as they scroll into view; the comment form's page follows the page being read. The
// reader's private annotations (meeting-annotations.js) are laid over each page drawn.
import { createAnnotator } from "./meeting-annotations.js";

const viewer = document.getElementById("pdf-viewer");
const status = document.getElementById("viewer-status");
const pageField = document.getElementById("comment-page");

function say(text) {
  if (status) status.textContent = text;
}

async function main() {
  if (!viewer) return;
  const pdfjs = await import(viewer.dataset.lib);
  pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
  // The PDF is fetched here (same origin, the session's cookie) and handed to the worker as bytes: the worker
  // then needs no network of its own.
  const response = await fetch(viewer.dataset.src, { credentials: "same-origin" });
  if (!response.ok) {
    say(response.status === 404 ? "Không tìm thấy tài liệu hoặc bạn không được xem." : "Không tải được tài liệu.");
    return;
  }
  const data = new Uint8Array(await response.arrayBuffer());
  const pdf = await pdfjs.getDocument({
    data,
    isEvalSupported: false,
    useWorkerFetch: false,
    standardFontDataUrl: viewer.dataset.fonts,
    enableXfa: false,
  }).promise;
  const tools = document.getElementById("mark-tools");
  const annotator = createAnnotator({ userId: Number(viewer.dataset.user), meetingId: Number(viewer.dataset.meeting),
                                      paperId: Number(viewer.dataset.paper), version: Number(viewer.dataset.version),
                                      tools, status: document.getElementById("mark-status"),
                                      list: document.getElementById("mark-notes") });
  tools?.classList.remove("hidden");
  let scale = 0;
  const pages = [];
  const first = await pdf.getPage(1);
  function fitScale() {
    const width = Math.max(viewer.clientWidth - 4, 200);
    return width / first.getViewport({ scale: 1 }).width;
  }
  scale = fitScale();
  for (let n = 1; n <= pdf.numPages; n += 1) {
    const box = document.createElement("div");
    box.className = "pdf-page";
    box.id = `page-${n}`;
    box.dataset.page = String(n);
    const label = document.createElement("span");
    label.className = "pdf-page-label";
    label.textContent = `Trang ${n}/${pdf.numPages}`;
    box.appendChild(label);
    viewer.appendChild(box);
    pages.push({ n, box, drawn: 0 });
  }
  async function draw(entry) {
    if (entry.drawn === scale) return;
    entry.drawn = scale;
    const page = await pdf.getPage(entry.n);
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Trang ${entry.n}`);
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport,
                        transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null }).promise;
    const wrap = document.createElement("div");
    wrap.className = "page-wrap";
    wrap.appendChild(canvas);
    annotator.attach(entry.n, wrap, viewport.width, viewport.height);
    const old = entry.box.querySelector(".page-wrap");
    if (old) old.replaceWith(wrap); else entry.box.appendChild(wrap);
    entry.box.classList.add("drawn");
  }
  function sizeBoxes() {
    const viewport = first.getViewport({ scale });
    for (const entry of pages) entry.box.style.minHeight = `${Math.floor(viewport.height)}px`;
  }
  sizeBoxes();
  // The page being read is the one most in view (a page wholly on screen beats the next page's top third), not
  // the last one the observer happened to report: the comment form and the annotation tools act on it.
  const shown = new Map();
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const entry = pages[Number(e.target.dataset.page) - 1];
      if (!e.isIntersecting) { shown.delete(entry.n); continue; }
      shown.set(entry.n, e.intersectionRatio);
      draw(entry);
    }
    let reading = 0;
    let best = 0.3;
    shown.forEach((ratio, n) => { if (ratio > best || (ratio === best && n < reading)) { best = ratio; reading = n; } });
    if (!reading) return;
    if (pageField) pageField.value = reading;
    annotator.focus(reading);
    say(`Trang ${reading}/${pdf.numPages}`);
  }, { threshold: [0.01, 0.3, 0.6, 0.9, 1] });
  pages.forEach((entry) => seen.observe(entry.box));
  await draw(pages[0]);
  say(`${pdf.numPages} trang`);
  viewer.dataset.ready = String(pdf.numPages);
  function rescale(factor) {
    scale = factor ? Math.min(Math.max(scale * factor, 0.3), 4) : fitScale();
    sizeBoxes();
    for (const entry of pages) {
      if (entry.drawn) { entry.drawn = 0; draw(entry); }
    }
  }
  document.getElementById("zoom-in")?.addEventListener("click", () => rescale(1.25));
  document.getElementById("zoom-out")?.addEventListener("click", () => rescale(0.8));
  document.querySelectorAll(".page-link").forEach((link) => link.addEventListener("click", (event) => {
    const target = document.getElementById(`page-${link.dataset.page}`);
    if (target) { event.preventDefault(); target.scrollIntoView({ behavior: "smooth" }); }
  }));
}

main().catch((error) => {
  say("Không hiển thị được tài liệu trong trình duyệt: hãy tải về để đọc.");
  if (viewer) viewer.dataset.error = String(error && error.message ? error.message : error);
});
