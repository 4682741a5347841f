// The live room's paper viewer (pdf.js, vendored in static/vendor/pdfjs): the paper the presenter shows, at the
// page the reader is on. meeting-room.js says which on every change ("meeting:view" events, and the viewer's
// data-file / data-page, read once here in case it spoke before this module loaded). One page is drawn at a
// time, to the width of the card: on a phone the page is the screen. The reader's private annotations
// (meeting-annotations.js) are laid over the page drawn. A paper once loaded stays in memory: pages are turned and
// annotated during a network cut too.
import { createAnnotator } from "./meeting-annotations.js";

const viewer = document.getElementById("room-viewer");
const status = document.getElementById("room-viewer-status");
let pdfjs = null;
let loaded = { file: "", doc: null };
let wanted = { file: "", page: 1, paper: "" };
let drawing = Promise.resolve();
let annotator = null;
let annotatorFile = "";
const tools = document.getElementById("mark-tools");

function say(text) {
  if (status) status.textContent = text;
}

async function open(file) {
  if (!pdfjs) {
    pdfjs = await import(viewer.dataset.lib);
    pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
  }
  const response = await fetch(file, { credentials: "same-origin" });
  if (!response.ok) throw new Error(response.status === 404 ? "Bạn không được xem tài liệu này." : "Không tải được tài liệu.");
  const data = new Uint8Array(await response.arrayBuffer());
  return pdfjs.getDocument({ data, isEvalSupported: false, useWorkerFetch: false, enableXfa: false,
                             standardFontDataUrl: viewer.dataset.fonts }).promise;
}

async function show() {
  const { file, page, paper } = wanted;
  if (annotatorFile !== file) {
    annotator?.close();
    annotator = null;
    annotatorFile = file;
    if (file && paper) {
      annotator = createAnnotator({ userId: Number(viewer.dataset.user), meetingId: Number(viewer.dataset.meeting),
                                    paperId: Number(paper), tools,
                                    status: document.getElementById("mark-status"),
                                    list: document.getElementById("mark-notes") });
    }
    tools?.classList.toggle("hidden", !annotator);
  }
  if (!file) {
    viewer.querySelector(".page-wrap")?.remove();
    viewer.dataset.shown = "";
    say("");
    return;
  }
  if (loaded.file !== file) {
    say("Đang tải tài liệu…");
    loaded = { file, doc: await open(file) };
  }
  const doc = loaded.doc;
  const number = Math.min(Math.max(page, 1), doc.numPages);
  const pdfPage = await doc.getPage(number);
  const width = Math.max(viewer.clientWidth - 4, 200);
  const scale = width / pdfPage.getViewport({ scale: 1 }).width;
  const viewport = pdfPage.getViewport({ scale });
  const ratio = window.devicePixelRatio || 1;
  const canvas = document.createElement("canvas");
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Trang ${number}`);
  await pdfPage.render({ canvas, canvasContext: canvas.getContext("2d"), viewport,
                         transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null }).promise;
  if (wanted.file !== file || wanted.page !== page) return;  // a newer page was asked for meanwhile
  const wrap = document.createElement("div");
  wrap.className = "page-wrap";
  wrap.appendChild(canvas);
  annotator?.attach(number, wrap, viewport.width, viewport.height);
  const old = viewer.querySelector(".page-wrap");
  if (old) old.replaceWith(wrap); else viewer.appendChild(wrap);
  viewer.dataset.shown = `${number}/${doc.numPages}`;
  say(`Trang ${number}/${doc.numPages}`);
}

function ask(file, page, paper) {
  if (file === wanted.file && page === wanted.page && viewer.dataset.shown) return;
  wanted = { file, page, paper: paper || "" };
  // one drawing at a time, each drawing the newest wish
  drawing = drawing.then(show).catch((error) => {
    say(error && error.message ? error.message : "Không hiển thị được tài liệu: hãy mở tài liệu để đọc.");
  });
}

if (viewer) {
  ask(viewer.dataset.file || "", Number(viewer.dataset.page) || 1, viewer.dataset.paper || "");
  document.addEventListener("meeting:view", (event) => ask(event.detail.file || "", event.detail.page || 1,
                                                            event.detail.paper_id || ""));
}
