// The live meeting room. One socket (realtime.js's); on every (re)connect the page joins the meeting's room, then
// catches up: the events since the last sequence number it applied, or the whole snapshot when it has none or
// missed too many. Every event carries the meeting's sequence number: a gap means one was missed, and the page
// asks for what changed rather than show stale state. Events carry the state they set, so applying one twice is
// harmless. Other scripts of the room (votes) get every event as a "meeting:event" DOM event and may call
// window.edocMeeting.emit(name, data) for their own actions.
(function () {
  "use strict";
  const root = document.getElementById("meeting-room");
  const socket = window.edocSocket;
  if (!root || !socket) return;
  const meetingId = Number(root.dataset.meeting);
  const $ = (id) => document.getElementById(id);
  let state = null;
  let seq = -1;
  let following = true;
  let myPage = null;
  let busy = null;
  let again = false;
  let timer = null;

  // A network cut: realtime.js reconnects every 0.5-2 s and at once on the browser's "online"; here the page says
  // so, stays usable (the paper already loaded is in memory, notes wait in localStorage) and catches up on join.

  function showError(text) {
    const box = $("room-error");
    box.textContent = text || "";
    box.classList.toggle("hidden", !text);
  }
  function setConn(mode, text) {
    root.dataset.live = mode;
    $("room-conn").textContent = text;
    $("room-conn").className = "conn conn-" + mode;
    $("room-offline").classList.toggle("hidden", mode !== "offline");
  }
  function api(path) {
    return fetch(`/meetings/${meetingId}/live/${path}`, { credentials: "same-origin",
                                                         headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : r.json().then((b) => Promise.reject(new Error(b.error?.message || r.status)))));
  }
  function emit(name, data) {
    return new Promise((resolve) => {
      if (!socket.connected) {
        resolve({ ok: false, error: "Mất kết nối tới máy chủ. Vui lòng thử lại khi có kết nối." });
        return;
      }
      socket.timeout(10000).emit("meeting." + name, Object.assign({ meeting_id: meetingId }, data || {}),
        (err, answer) => resolve(err ? { ok: false, error: "Máy chủ không trả lời. Vui lòng thử lại." } : answer));
    });
  }
  async function act(name, data) {
    const answer = await emit(name, data);
    showError(answer && answer.ok ? "" : (answer && answer.error) || "Không thực hiện được.");
    return answer;
  }

  // --- state ---------------------------------------------------------------------------------------------------
  function apply(ev) {
    const d = ev.data || {};
    switch (ev.type) {
      case "agenda.opened":
        state.current_item = d.item;
        state.presenter = { paper_id: null, page: null };
        following = true;
        myPage = null;
        break;
      case "presenter.page":
        state.presenter = { paper_id: d.paper_id, page: d.page };
        if (asked && asked.page === d.page) asked = null;  // caught up with what was asked
        if (following) myPage = d.page;
        break;
      case "checkin.changed": {
        const list = state.attendance.participants;
        const at = list.findIndex((p) => p.id === d.participant.id);
        if (at >= 0) list[at] = d.participant; else list.push(d.participant);
        state.attendance.quorum = d.quorum;
        break;
      }
      case "speakers.changed":
        state.speakers = d.speakers;
        break;
      default:
        break;
    }
    seq = ev.seq;
    state.seq = seq;
    document.dispatchEvent(new CustomEvent("meeting:event", { detail: ev }));
  }

  async function loadSnapshot() {
    state = await api("state");
    seq = state.seq;
    if (following) myPage = state.presenter.page;
    document.dispatchEvent(new CustomEvent("meeting:snapshot", { detail: state }));
    render();
  }

  // One catch-up at a time; an event that arrives meanwhile asks for another round after it.
  async function catchUp() {
    if (busy) { again = true; return busy; }
    busy = (async () => {
      do {
        again = false;
        try {
          if (state === null) { await loadSnapshot(); continue; }
          const got = await api(`events?since=${seq}`);
          if (!got.complete) { await loadSnapshot(); continue; }
          got.events.forEach((ev) => { if (ev.seq > seq) apply(ev); });
          render();
        } catch (e) {
          showError("Không tải được trạng thái phòng họp: " + e.message);
        }
      } while (again);
    })();
    try { await busy; } finally { busy = null; }
  }

  socket.on("meeting.event", (ev) => {
    if (!ev || ev.meeting_id !== meetingId || state === null) return;
    if (ev.seq <= seq) return;  // already applied (a catch-up brought it)
    if (ev.seq === seq + 1 && !busy) { apply(ev); render(); return; }
    catchUp();  // a gap: something was missed
  });

  async function join() {
    setConn("joining", "Đang vào phòng họp…");
    const answer = await emit("join", {});
    if (!answer || !answer.ok) {
      setConn("refused", "Không vào được phòng họp");
      showError((answer && answer.error) || "Không vào được phòng họp.");
      return;
    }
    await catchUp();
    setConn("live", "Trực tiếp");
  }
  const OFFLINE = "Mất kết nối — đang kết nối lại…";
  socket.on("connect", () => { join().then(sendNote); });
  socket.on("disconnect", () => setConn("offline", OFFLINE));
  window.addEventListener("offline", () => setConn("offline", OFFLINE));
  if (socket.connected) join();

  // --- rendering (textContent only: names and titles are user input) ---------------------------------------------
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  const LABELS = { in_room: "Có mặt tại phòng họp", online: "Dự trực tuyến", absent: "Vắng mặt" };

  function renderAgenda() {
    const list = $("agenda");
    list.replaceChildren();
    const current = state.current_item && state.current_item.id;
    state.agenda.forEach((item) => {
      const li = el("li", null, item.id === current ? "current" : "");
      li.dataset.item = item.id;
      li.appendChild(el("span", item.title, "title"));
      if (state.me.can_lead && item.id !== current) {
        const b = el("button", "Mở nội dung này", "open-item");
        b.type = "button";
        b.addEventListener("click", () => act("agenda.open", { item_id: item.id }));
        li.appendChild(b);
      }
      list.appendChild(li);
    });
  }

  function renderCurrent() {
    const item = state.current_item;
    $("current-item").textContent = item ? item.title : "Chủ trì chưa mở nội dung nào.";
    $("current-item").classList.toggle("muted", !item);
    $("current-presenter").textContent = item && item.presenter ? "Người trình bày: " + item.presenter : "";
    const papers = $("current-papers");
    papers.replaceChildren();
    const presents = state.me.can_lead || (item && item.presenter_user_id === state.me.user_id);
    const itemPapers = (item && state.papers && state.papers[String(item.id)]) || [];
    itemPapers.forEach((paper) => {
      const li = el("li");
      li.dataset.paper = String(paper.id);
      const a = el("a", "Tài liệu: " + paper.title);
      a.href = paper.url;
      a.target = "_blank";
      a.rel = "noopener";
      li.appendChild(a);
      if (presents) {  // the presenter puts a paper on everyone's screen, from its first page
        const show = el("button", state.presenter.paper_id === paper.id ? "Đang trình chiếu" : "Trình chiếu",
                        "show-paper");
        show.type = "button";
        show.addEventListener("click", () => {
          asked = { item: item.id, page: 1 };
          act("presenter.page", { paper_id: paper.id, page: 1 });
        });
        li.appendChild(show);
      }
      papers.appendChild(li);
    });
    // The room's viewer (meeting-room-viewer.js) shows the presenter's paper at the page this reader is on:
    // the presenter's while following, their own once they read alone.
    const shown = itemPapers.find((paper) => paper.id === state.presenter.paper_id);
    const viewer = $("room-viewer");
    if (viewer) {
      viewer.dataset.file = shown ? shown.file : "";
      viewer.dataset.paper = shown ? String(shown.id) : "";
      viewer.dataset.page = String((following ? state.presenter.page : myPage) || 1);
      document.dispatchEvent(new CustomEvent("meeting:view", { detail: {
        file: viewer.dataset.file, page: Number(viewer.dataset.page), paper_id: viewer.dataset.paper } }));
    }
    document.querySelectorAll(".presenter-only").forEach((b) => b.classList.toggle("hidden", !presents || !item));
    document.querySelectorAll(".reader-only").forEach((b) => b.classList.toggle("hidden", presents || !item));
    $("presenter-page").textContent = state.presenter.page || "–";
    $("my-page").textContent = myPage || "–";
    $("follow").classList.toggle("hidden", following || !state.presenter.page);
    root.dataset.following = following ? "yes" : "no";
  }

  function renderAttendance() {
    const a = state.attendance;
    const q = a.quorum;
    $("quorum").textContent = `Có mặt ${q.present}/${q.members} thành viên (tại phòng ${q.in_room}, trực tuyến ` +
      `${q.online}, vắng ${q.absent}); túc số: ${q.label}` + (q.needed ? ` (cần ${q.needed})` : "") +
      (q.met ? " — ĐỦ túc số" : " — CHƯA đủ túc số");
    $("quorum").className = "quorum " + (q.met ? "met" : "unmet");
    const mine = a.participants.find((p) => p.id === a.counted_as);
    $("my-checkin").classList.toggle("hidden", !a.counted_as);
    if (mine) $("my-status").textContent = mine.status ? LABELS[mine.status] + (mine.reason ? ` (${mine.reason})` : "") : "Chưa điểm danh";
    const body = $("participants").querySelector("tbody");
    body.replaceChildren();
    a.participants.forEach((p) => {
      const tr = el("tr");
      tr.dataset.participant = p.id;
      const who = el("td", p.name);
      if (a.deputies[p.id]) who.appendChild(el("div", "Người dự thay: " + a.deputies[p.id], "help"));
      tr.appendChild(who);
      const td = el("td");
      if (state.me.can_lead) {
        const sel = el("select");
        sel.setAttribute("aria-label", "Điểm danh " + p.name);
        [["", "Chưa điểm danh"], ["in_room", LABELS.in_room], ["online", LABELS.online], ["absent", LABELS.absent]]
          .forEach(([v, t]) => { const o = el("option", t); o.value = v; sel.appendChild(o); });
        sel.value = p.status || "";
        sel.addEventListener("change", async () => {
          let reason = "";
          if (sel.value === "absent") reason = window.prompt("Lý do vắng mặt của " + p.name) || "";
          const ans = await act("checkin", { participant_id: p.id, status: sel.value, reason });
          if (!ans.ok) sel.value = p.status || "";
        });
        td.appendChild(sel);
      } else {
        td.textContent = p.status ? LABELS[p.status] : "Chưa điểm danh";
      }
      if (p.reason) td.appendChild(el("div", p.reason, "help"));
      tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }
  function renderSpeakers() {
    const sp = state.speakers;
    if (!sp) return;
    const floor = sp.floor;
    $("floor").textContent = floor ? `Đang phát biểu: ${floor.name}` + (floor.kind === "order" ? " (kiến nghị thủ tục)" : "") : "Chưa ai được mời phát biểu.";
    $("floor").classList.toggle("muted", !floor);
    clearInterval(timer);
    const tick = () => {
      if (!floor) { $("floor-timer").textContent = ""; return; }
      const elapsed = (Date.now() - Date.parse(floor.started_at)) / 1000 + (sp.clock_skew || 0);
      const limit = floor.limit_seconds;
      $("floor-timer").textContent = limit ? `${clock(elapsed)} / ${clock(limit)}` : clock(elapsed);
      $("floor-timer").classList.toggle("over", !!limit && elapsed > limit);
    };
    tick();
    if (floor) timer = setInterval(tick, 1000);
    const queue = $("speaker-queue");
    queue.replaceChildren();
    const mineQueued = sp.queue.some((r) => r.user_id === state.me.user_id);
    sp.queue.forEach((r, i) => {
      const li = el("li", null, r.kind === "order" ? "order" : "");
      li.dataset.request = r.id;
      li.appendChild(el("span", r.name + (r.kind === "order" ? " — kiến nghị thủ tục" : "")));
      if (state.me.can_lead) {
        const give = el("button", "Mời phát biểu", "give");
        give.type = "button";
        give.addEventListener("click", () => act("speakers.give", { request_id: r.id }));
        li.appendChild(give);
        if (i > 0) {
          const up = el("button", "↑", "up");
          up.type = "button";
          up.title = "Lên trước";
          up.addEventListener("click", () => {
            const order = sp.queue.map((x) => x.id);
            [order[i - 1], order[i]] = [order[i], order[i - 1]];
            act("speakers.reorder", { order });
          });
          li.appendChild(up);
        }
      }
      queue.appendChild(li);
    });
    const speaking = !!floor && floor.user_id === state.me.user_id;
    $("withdraw").classList.toggle("hidden", !mineQueued);
    // Asking for the floor: participants only, not while queued already or speaking.
    $("speak-buttons").classList.toggle("hidden", !state.me.participant_id);
    $("ask-speak").classList.toggle("hidden", mineQueued || speaking);
    $("ask-order").classList.toggle("hidden", mineQueued || speaking);
    document.querySelectorAll(".lead-only").forEach((n) => n.classList.toggle("hidden", !state.me.can_lead || !floor));
    const spoken = $("spoken");
    spoken.replaceChildren();
    (sp.spoken || []).forEach((r) => spoken.appendChild(el("li", `${r.name}: ${r.item || ""} — ${clock(r.seconds)}`)));
  }

  function render() {
    if (!state) return;
    renderCurrent();
    renderAgenda();
    renderAttendance();
    renderSpeakers();
  }

  // --- actions -------------------------------------------------------------------------------------------------
  // The presenter's own clicks count from the page last asked for, not the last one heard back: two quick clicks
  // on "next" go to page 2, not twice to page 1.
  let asked = null;
  function turnTo(page) {
    if (page < 1) return;
    asked = { item: state.current_item && state.current_item.id, page };
    act("presenter.page", { page, paper_id: state.presenter.paper_id }).then((answer) => {
      if (!answer || !answer.ok) asked = null;  // refused or lost: count from what the room shows
    });
  }
  function presenterAt() {
    const item = state.current_item && state.current_item.id;
    return asked && asked.item === item ? asked.page : (state.presenter.page || 0);
  }
  $("page-prev").addEventListener("click", () => turnTo(presenterAt() - 1));
  $("page-next").addEventListener("click", () => turnTo(presenterAt() + 1));
  function readAlone(delta) {  // the delegate leaves the presenter to read elsewhere
    following = false;
    myPage = Math.max(1, (myPage || state.presenter.page || 1) + delta);
    renderCurrent();
    document.dispatchEvent(new CustomEvent("meeting:page", { detail: { page: myPage, following } }));
  }
  $("my-prev").addEventListener("click", () => readAlone(-1));
  $("my-next").addEventListener("click", () => readAlone(1));
  $("follow").addEventListener("click", () => {
    following = true;
    myPage = state.presenter.page;
    renderCurrent();
    document.dispatchEvent(new CustomEvent("meeting:page", { detail: { page: myPage, following } }));
  });
  document.querySelectorAll("[data-checkin]").forEach((b) => b.addEventListener("click", () => {
    act("checkin", { status: b.dataset.checkin, reason: $("absent-reason").value });
  }));
  $("ask-speak").addEventListener("click", () => act("speakers.request", { kind: "speak" }));
  $("ask-order").addEventListener("click", () => act("speakers.request", { kind: "order" }));
  $("withdraw").addEventListener("click", () => act("speakers.withdraw", {}));
  $("end-floor").addEventListener("click", () => act("speakers.end", {}));

  // Private notes: over HTTP, never through the room. Text typed while the network is down (or whose save did
  // not reach the server) waits in localStorage and is sent when the page is back; it wins over the server's copy
  // when the page is reopened meanwhile.
  const noteBox = $("note-text");
  const noteKey = `edoc-note:${root.dataset.user}:${meetingId}`;  // per person: a tablet may be shared
  const noteSay = (text) => { $("note-status").textContent = text; };
  function keepNote() {
    localStorage.setItem(noteKey, noteBox.value);
    noteSay("Chưa gửi được (mất kết nối): ghi chú được giữ trên máy này và tự gửi khi có kết nối lại.");
  }
  let noteSending = null;
  async function sendNote() {
    const text = localStorage.getItem(noteKey);
    if (text === null || noteSending) return noteSending;
    noteSending = (async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch(`/meetings/${meetingId}/notes`, { method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" },
        body: JSON.stringify({ text }) }).catch(() => null);
      if (!r) { keepNote(); return; }
      const body = await r.json().catch(() => ({}));
      if (localStorage.getItem(noteKey) === text) localStorage.removeItem(noteKey);
      noteSay(r.ok ? "Đã lưu." : (body.error?.message || "Không lưu được ghi chú."));
    })();
    try { await noteSending; } finally { noteSending = null; }
  }
  const pendingNote = localStorage.getItem(noteKey);
  if (pendingNote !== null) {
    noteBox.value = pendingNote;
    sendNote();
  } else {
    fetch(`/meetings/${meetingId}/notes`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((n) => { if (n && localStorage.getItem(noteKey) === null) noteBox.value = n.text; }).catch(() => {});
  }
  noteBox.addEventListener("input", () => { if (!navigator.onLine || !socket.connected) keepNote(); });
  $("note-save").addEventListener("click", () => {
    localStorage.setItem(noteKey, noteBox.value);
    sendNote();
  });
  window.addEventListener("online", sendNote);

  window.edocMeeting = { id: meetingId, emit: act, state: () => state, seq: () => seq };
})();
