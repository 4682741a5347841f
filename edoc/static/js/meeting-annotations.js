// Private annotations on a meeting paper (chú thích riêng): ink, highlight and pinned notes drawn in an SVG laid
// over each page the viewer drew. The vendored pdf.js build has the AnnotationEditor classes, but they are the
// full viewer's (PDFViewer, its event bus, its UI manager) and save by writing the marks into the PDF; here the
// shared file must never change, so the marks are our own JSON, stored per (person, paper version, page) by
// /meetings/<id>/papers/<id>/annotations and drawn back over the page. Coordinates are fractions of the page.
//
// A change the server did not take because the network was down waits in localStorage (per page) and is sent
// again when the browser is online, when the room's socket reconnects, and every 15 s meanwhile.
const SVG = "http://www.w3.org/2000/svg";
const COLORS = { yellow: "#f5c400", green: "#2e9d48", red: "#d93025", blue: "#1a5fd0" };
const WIDTH = 1000;  // the overlay's viewBox width; its height follows the page's proportions

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

// Pages whose last change the server has not taken yet, for every paper of the meeting: sent again when the browser
// is online, when the socket reconnects, every 15 s meanwhile, and after each change; whatever paper is on screen.
let flushing = false;
let rerun = false;
let lastSay = () => {};
async function flushPending(userId, meetingId, say) {
  if (say) lastSay = say;
  if (flushing) { rerun = true; return; }
  flushing = true;
  const prefix = `edoc-annot:${userId}:${meetingId}:`;
  try {
    const keys = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const k = localStorage.key(i);
      if (k && k.startsWith(prefix)) keys.push(k);
    }
    for (const k of keys) {
      const [paper, version, page] = k.slice(prefix.length).split(":");
      const sent = localStorage.getItem(k);
      let r;
      try {
        r = await fetch(`/meetings/${meetingId}/papers/${paper}/annotations/${page}`, { method: "PUT",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ version: Number(version), items: JSON.parse(sent || "[]") }) });
      } catch (e) {
        lastSay("Chưa gửi được chú thích (mất kết nối): được giữ trên máy này và tự gửi khi có kết nối lại.", true);
        return;
      }
      if (r.ok) {
        if (localStorage.getItem(k) === sent) localStorage.removeItem(k);
        lastSay("Đã lưu chú thích (chỉ mình bạn xem được).");
      } else if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
        // refused for good (too large, bad data, the paper no longer readable): the server's copy stands
        const body = await r.json().catch(() => ({}));
        localStorage.removeItem(k);
        lastSay(body.error?.message || "Chú thích không được lưu.", true);
      } else {
        lastSay("Máy chủ chưa lưu được chú thích: sẽ thử lại.", true);
        return;
      }
    }
  } finally {
    flushing = false;
    if (rerun) { rerun = false; flushPending(userId, meetingId); }
  }
}
let watching = 0;
function watch(userId, meetingId) {
  if (watching === meetingId) return;
  watching = meetingId;
  const again = () => flushPending(userId, meetingId);
  window.addEventListener("online", again);
  window.edocSocket?.on("connect", again);
  setInterval(again, 15000);
}

export function createAnnotator({ userId, meetingId, paperId, version: asked, tools, status, list }) {
  const base = `/meetings/${meetingId}/papers/${paperId}/annotations`;
  const pages = new Map();      // page number -> items
  const overlays = new Map();   // page number -> { svg, height }
  let version = null;
  let mode = "none";
  let color = "";
  let noteAt = null;
  const ready = load();
  watch(userId, meetingId);

  function say(text, bad) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }
  // per person too: a tablet in the room may be shared, and one person's unsent marks must never go as another's
  const prefix = () => `edoc-annot:${userId}:${meetingId}:${paperId}:${version}:`;
  const key = (page) => `${prefix()}${page}`;

  async function load() {
    const r = await fetch(asked ? `${base}?v=${asked}` : base, { credentials: "same-origin",
                                                            headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error("Không tải được chú thích của bạn.");
    const got = await r.json();
    version = got.version;
    Object.values(got.annotations).forEach((a) => pages.set(a.page, a.items));
    // what was drawn offline and never reached the server wins over the server's older copy
    for (let i = 0; i < localStorage.length; i += 1) {
      const k = localStorage.key(i);
      if (k && k.startsWith(prefix())) pages.set(Number(k.slice(prefix().length)), JSON.parse(localStorage.getItem(k)));
    }
    overlays.forEach((_, page) => draw(page));
    flushPending(userId, meetingId, say);
  }

  function save(page) {
    const items = pages.get(page) || [];
    localStorage.setItem(key(page), JSON.stringify(items));
    draw(page);
    say("Đang lưu chú thích…");
    flushPending(userId, meetingId, say);
  }

  // --- drawing ---------------------------------------------------------------------------------------------------
  function node(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, String(v)));
    return e;
  }
  function shape(item, height) {
    const fill = COLORS[item.color] || COLORS.yellow;
    if (item.type === "ink") {
      const pts = item.points.map(([x, y]) => `${(x * WIDTH).toFixed(1)},${(y * height).toFixed(1)}`).join(" ");
      return node("polyline", { points: pts, fill: "none", stroke: fill, "stroke-width": 5,
                                "stroke-linecap": "round", "stroke-linejoin": "round", class: "mark-ink" });
    }
    if (item.type === "highlight") {
      const [x, y, w, h] = item.rect;
      return node("rect", { x: x * WIDTH, y: y * height, width: w * WIDTH, height: h * height, fill,
                            "fill-opacity": 0.35, class: "mark-highlight" });
    }
    return null;
  }
  function draw(page) {
    const overlay = overlays.get(page);
    if (!overlay) return;
    const { svg, height } = overlay;
    svg.replaceChildren();
    const items = pages.get(page) || [];
    let n = 0;
    items.forEach((item) => {
      if (item.type === "note") {
        n += 1;
        const g = node("g", { class: "mark-note" });
        const title = node("title", {});
        title.textContent = item.text;
        g.appendChild(title);
        g.appendChild(node("circle", { cx: item.at[0] * WIDTH, cy: item.at[1] * height, r: 24,
                                       fill: COLORS.yellow, stroke: "#7a5d00", "stroke-width": 2 }));
        const label = node("text", { x: item.at[0] * WIDTH, y: item.at[1] * height + 10, "text-anchor": "middle",
                                     "font-size": 28, "font-weight": 700, fill: "#3b2f00" });
        label.textContent = String(n);
        g.appendChild(label);
        svg.appendChild(g);
      } else {
        const s = shape(item, height);
        if (s) svg.appendChild(s);
      }
    });
    svg.dataset.items = String(items.length);
    if (list && overlays.size === 1 || list && list.dataset.page === String(page)) renderList(page);
  }
  function renderList(page) {
    list.dataset.page = String(page);
    list.replaceChildren();
    (pages.get(page) || []).filter((i) => i.type === "note").forEach((item, i) => {
      const li = document.createElement("li");
      li.textContent = `${i + 1}. ${item.text}`;
      list.appendChild(li);
    });
  }

  function where(svg, height, event) {
    const box = svg.getBoundingClientRect();
    const x = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
    const y = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1);
    return [Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000];
  }

  // Lays the overlay over a drawn page: ``holder`` is positioned (relative) and holds the page's canvas.
  function attach(page, holder, widthPx, heightPx) {
    const height = Math.round(WIDTH * heightPx / widthPx);
    holder.querySelector("svg.marks")?.remove();
    const svg = node("svg", { viewBox: `0 0 ${WIDTH} ${height}`, class: "marks", "aria-hidden": "true" });
    svg.dataset.page = String(page);
    holder.appendChild(svg);
    overlays.set(page, { svg, height });
    if (list) list.dataset.page = String(page);
    svg.dataset.mode = mode;
    let stroke = null;
    let start = null;
    let preview = null;
    svg.addEventListener("pointerdown", (event) => {
      if (mode === "none" || version === null) return;  // the reader's marks are not loaded yet
      event.preventDefault();
      const p = where(svg, height, event);
      if (mode === "note") {
        noteAt = { page, at: p };
        tools?.querySelector(".note-form")?.classList.remove("hidden");
        tools?.querySelector(".note-form input")?.focus();
        return;
      }
      svg.setPointerCapture(event.pointerId);
      if (mode === "ink") {
        stroke = { type: "ink", color: color || "red", points: [p] };
        preview = shape(stroke, height);
      } else {
        start = p;
        preview = shape({ type: "highlight", color: color || "yellow", rect: [p[0], p[1], 0, 0] }, height);
      }
      svg.appendChild(preview);
    });
    svg.addEventListener("pointermove", (event) => {
      if (!preview) return;
      const p = where(svg, height, event);
      if (stroke) {
        const last = stroke.points[stroke.points.length - 1];
        if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.004 || stroke.points.length >= 1000) return;
        stroke.points.push(p);
        preview.setAttribute("points", stroke.points.map(([x, y]) => `${x * WIDTH},${y * height}`).join(" "));
      } else if (start) {
        preview.setAttribute("x", Math.min(start[0], p[0]) * WIDTH);
        preview.setAttribute("y", Math.min(start[1], p[1]) * height);
        preview.setAttribute("width", Math.abs(p[0] - start[0]) * WIDTH);
        preview.setAttribute("height", Math.abs(p[1] - start[1]) * height);
      }
    });
    const finish = (event) => {
      if (!preview) return;
      const p = where(svg, height, event);
      const items = pages.get(page) || [];
      if (stroke) {
        if (stroke.points.length === 1) stroke.points.push(p);
        items.push(stroke);
      } else if (start) {
        const rect = [Math.min(start[0], p[0]), Math.min(start[1], p[1]),
                      Math.abs(p[0] - start[0]), Math.abs(p[1] - start[1])].map((v) => Math.round(v * 10000) / 10000);
        if (rect[2] > 0.005 && rect[3] > 0.005) items.push({ type: "highlight", color: color || "yellow", rect });
      }
      stroke = null;
      start = null;
      preview = null;
      pages.set(page, items);
      save(page);
    };
    svg.addEventListener("pointerup", finish);
    svg.addEventListener("pointercancel", () => { stroke = null; start = null; preview = null; draw(page); });
    ready.then(() => draw(page)).catch((e) => say(e.message, true));
  }

  // --- tools -----------------------------------------------------------------------------------------------------
  function setMode(next) {
    mode = mode === next ? "none" : next;
    tools?.querySelectorAll("[data-tool]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tool === mode)));
    overlays.forEach(({ svg }) => { svg.dataset.mode = mode; });
    if (mode !== "note") tools?.querySelector(".note-form")?.classList.add("hidden");
  }
  const currentPage = () => Number(list?.dataset.page) || [...overlays.keys()].pop() || 1;
  const handlers = [];
  function on(el, type, fn) {
    if (!el) return;
    el.addEventListener(type, fn);
    handlers.push(() => el.removeEventListener(type, fn));
  }
  tools?.querySelectorAll("[data-tool]").forEach((b) => on(b, "click", () => setMode(b.dataset.tool)));
  on(tools?.querySelector("select.mark-color"), "change", (e) => { color = e.target.value; });
  on(tools?.querySelector(".mark-undo"), "click", () => {
    const page = currentPage();
    const items = pages.get(page) || [];
    if (!items.length) return;
    items.pop();
    save(page);
  });
  on(tools?.querySelector(".mark-clear"), "click", () => {
    const page = currentPage();
    if (!(pages.get(page) || []).length) return;
    pages.set(page, []);
    save(page);
  });
  const noteForm = tools?.querySelector(".note-form");
  on(noteForm, "submit", (event) => {
    event.preventDefault();
    const input = noteForm.querySelector("input");
    const text = input.value.trim();
    if (!noteAt || !text) return;
    const items = pages.get(noteAt.page) || [];
    items.push({ type: "note", at: noteAt.at, text });
    pages.set(noteAt.page, items);
    input.value = "";
    noteForm.classList.add("hidden");
    save(noteAt.page);
    noteAt = null;
  });

  return {
    attach,
    ready,
    focus(page) {  // the page being read, on a page that shows them all: its notes listed, undo and clear act on it
      if (list && list.dataset.page !== String(page)) renderList(page);
    },
    close() {
      handlers.forEach((off) => off());
      setMode("none");
      overlays.clear();
    },
  };
}
