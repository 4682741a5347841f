// Biểu quyết in the meeting room. State comes from GET /meetings/<id>/votes (on load and on every reconnect),
// then from the room's events (meeting-room.js's "meeting:event"): vote.created / vote.opened / vote.closed carry
// the vote (the result for everyone at the close, no request needed), vote.turnout the number who have voted.
// A ballot is kept in localStorage with its idempotency key until the server answers: a page that lost the
// network, or was reloaded, sends the same ballot with the same key again, and the server counts it once.
// A ballot goes over the room's socket ("meeting.vote.cast", answered through the acknowledgement: no HTTP
// request, no second sign-in check); when the socket is down or does not answer in time, over HTTP
// (POST .../cast) with the same key: whichever door it took first, it is counted once.
(function () {
  "use strict";
  const root = document.getElementById("meeting-votes");
  if (!root) return;
  const base = root.dataset.base;
  const meetingId = Number(root.dataset.meeting);
  const SOCKET_WAIT = 8000;  // ms for the socket's acknowledgement before the same ballot goes over HTTP
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const list = root.querySelector(".mv-list");
  const status = root.querySelector(".mv-status");
  const createForm = root.querySelector(".mv-create");
  const votes = new Map();
  let canManage = false, canVote = false, members = [];
  const pendingKey = (id) => "edoc-vote-pending-" + id;

  const say = (text, bad) => { status.textContent = text || ""; status.classList.toggle("mv-bad", !!bad); };
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const newKey = () => {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  async function call(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrf;
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);  // a network failure throws: the caller decides to retry
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    return { ok: response.ok, status: response.status, data };
  }
  const errorText = (r) => (r.data && r.data.error && r.data.error.message) || `Lỗi ${r.status}: hãy thử lại.`;

  // --- rendering ------------------------------------------------------------------------------------------
  function render(vote) {
    let card = document.getElementById("mv-vote-" + vote.id);
    const fresh = el("li", "mv-card mv-" + vote.status);
    fresh.id = "mv-vote-" + vote.id;
    fresh.dataset.status = vote.status;
    const head = el("div", "mv-head");
    head.append(el("strong", "mv-title", vote.title), el("span", "mv-badge", vote.status_label));
    fresh.append(head, el("p", "mv-meta", `${vote.kind_label} · ${vote.rules_text}`));
    const turnout = el("p", "mv-turnout", "");
    turnout.append("Đã bỏ phiếu: ", el("b", "mv-count", vote.voted));
    fresh.append(turnout);
    if (vote.status === "open") fresh.append(ballot(vote));
    if (vote.status === "closed" && vote.result) fresh.append(result(vote));
    if (canManage) fresh.append(controls(vote));
    if (card) card.replaceWith(fresh); else list.prepend(fresh);
  }

  function ballot(vote) {
    const box = el("div", "mv-ballot");
    const mine = vote.my_vote;
    if (mine) {
      const text = mine.channel === "paper" ? "Phiếu của bạn đã được nhập từ phiếu giấy." :
        "Bạn đã biểu quyết" + (mine.choice ? ": " + labels(vote, mine.choice).join(", ") : " (phiếu kín).");
      box.append(el("p", "mv-done", text));
      const receipt = sessionStorage.getItem("edoc-vote-receipt-" + vote.id);
      if (receipt) box.append(el("p", "mv-receipt", "Mã phiếu của bạn (đối chiếu trong biên bản): " + receipt));
      return box;
    }
    if (!("my_vote" in vote)) { box.append(el("p", "mv-note", "Bạn không có quyền biểu quyết trong cuộc họp này.")); return box; }
    const election = vote.option_set === "election";
    const form = el("form", "mv-options");
    form.dataset.vote = vote.id;
    if (election) form.append(el("p", "mv-note", `Chọn tối đa ${vote.seats} người.`));
    vote.options.forEach((o) => {
      const label = el("label", "mv-option");
      const input = document.createElement("input");
      input.type = election ? "checkbox" : "radio";
      input.name = "choice";
      input.value = o.key;
      label.append(input, el("span", null, o.label));
      form.append(label);
    });
    const send = el("button", "mv-send", "Gửi phiếu");
    send.type = "submit";
    form.append(send);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const choice = Array.from(form.querySelectorAll("input:checked"), (i) => i.value);
      if (!choice.length) { say("Hãy chọn một phương án trước khi gửi.", true); return; }
      if (election && choice.length > vote.seats) { say(`Chỉ được chọn tối đa ${vote.seats} người.`, true); return; }
      localStorage.setItem(pendingKey(vote.id), JSON.stringify({ choice, key: newKey() }));
      send.disabled = true;
      submit(vote.id);
    });
    if (localStorage.getItem(pendingKey(vote.id))) {
      send.disabled = true;
      box.append(el("p", "mv-note", "Đang gửi phiếu…"));
    }
    box.append(form);
    return box;
  }

  const labels = (vote, keys) => keys.map((k) => (vote.options.find((o) => o.key === k) || { label: k }).label);

  function result(vote) {
    const r = vote.result;
    const box = el("div", "mv-result " + (r.passed ? "mv-passed" : "mv-failed"));
    box.append(el("p", "mv-headline", r.headline));
    const table = el("table", "mv-table");
    const headRow = el("tr");
    ["Phương án", "Số phiếu", "Tỷ lệ"].forEach((t) => headRow.append(el("th", null, t)));
    table.append(headRow);
    r.lines.forEach((line) => {
      const tr = el("tr", line.elected ? "mv-elected" : "");
      tr.append(el("td", null, line.label + (line.elected ? " ✓ trúng cử" : "")), el("td", null, line.votes),
                el("td", null, line.share));
      table.append(tr);
    });
    box.append(table);
    const why = el("ul", "mv-reasons");
    r.reasons.forEach((t) => why.append(el("li", null, t)));
    box.append(why);
    if (vote.named && vote.named.length) {
      const details = el("details", "mv-named");
      details.append(el("summary", null, `Danh sách biểu quyết ghi danh (${vote.named.length})`));
      const ul = el("ul");
      vote.named.forEach((n) => ul.append(el("li", null, `${n.name}: ${n.choice.join(", ")}` +
                                               (n.channel === "paper" ? " (phiếu giấy)" : ""))));
      details.append(ul);
      box.append(details);
    }
    if (vote.ballot_digest) box.append(el("p", "mv-note", "Mã tổng hợp các phiếu kín: " + vote.ballot_digest));
    return box;
  }

  function controls(vote) {
    const bar = el("div", "mv-controls");
    const action = (text, path, confirmText) => {
      const b = el("button", "mv-action", text);
      b.type = "button";
      b.addEventListener("click", async () => {
        if (confirmText && !window.confirm(confirmText)) return;
        b.disabled = true;
        try {
          const r = await call("POST", `${base}/${vote.id}/${path}`, {});
          if (r.ok) { merge(r.data); say(""); } else say(errorText(r), true);
        } catch (err) { say("Mất kết nối với máy chủ: hãy thử lại.", true); }
        b.disabled = false;
      });
      return b;
    };
    if (vote.status === "draft") bar.append(action("Mở biểu quyết", "open"));
    if (vote.status === "open") {
      bar.append(action("Kết thúc và công bố kết quả", "close", "Kết thúc biểu quyết? Phiếu gửi sau sẽ không được tính."));
      if (!vote.paper_entered) bar.append(paperForm(vote));
    }
    return bar;
  }

  function paperForm(vote) {
    const details = el("details", "mv-paper");
    details.append(el("summary", null, "Nhập kết quả kiểm phiếu giấy"));
    const form = el("form");
    const who = el("fieldset");
    who.append(el("legend", null, vote.kind === "named" ? "Lựa chọn của từng người bỏ phiếu giấy" :
                                                           "Những người đã bỏ phiếu giấy"));
    members.forEach((m) => {
      const row = el("label", "mv-option");
      if (vote.kind === "named") {
        const select = document.createElement("select");
        select.name = "p-" + m.id;
        select.append(new Option("—", ""));
        vote.options.forEach((o) => select.append(new Option(o.label, o.key)));
        row.append(el("span", null, m.name + " "), select);
      } else {
        const box = document.createElement("input");
        box.type = "checkbox"; box.name = "voter"; box.value = m.id;
        row.append(box, el("span", null, m.name));
      }
      who.append(row);
    });
    form.append(who);
    if (vote.kind !== "named") {
      vote.options.forEach((o) => {
        const label = el("label", "mv-count-input", o.label + " ");
        const input = document.createElement("input");
        input.type = "number"; input.min = "0"; input.value = "0"; input.name = "count-" + o.key;
        label.append(input);
        form.append(label);
      });
      const inv = el("label", "mv-count-input", "Phiếu không hợp lệ ");
      const input = document.createElement("input");
      input.type = "number"; input.min = "0"; input.value = "0"; input.name = "invalid";
      inv.append(input);
      form.append(inv);
    }
    const save = el("button", null, "Lưu kết quả phiếu giấy");
    save.type = "submit";
    form.append(save);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { voters: [], counts: [], invalid: 0, choices: [] };
      if (vote.kind === "named") {
        form.querySelectorAll("select").forEach((s) => {
          if (s.value) body.choices.push({ participant_id: Number(s.name.slice(2)), choice: [s.value] });
        });
      } else {
        body.voters = Array.from(form.querySelectorAll("input[name=voter]:checked"), (i) => Number(i.value));
        vote.options.forEach((o) => body.counts.push({ option: o.key,
          count: Number(form.querySelector(`[name="count-${o.key}"]`).value || 0) }));
        body.invalid = Number(form.querySelector("[name=invalid]").value || 0);
      }
      save.disabled = true;
      try {
        const r = await call("POST", `${base}/${vote.id}/paper`, body);
        if (r.ok) { merge(r.data); say("Đã lưu kết quả phiếu giấy."); } else say(errorText(r), true);
      } catch (err) { say("Mất kết nối với máy chủ: hãy thử lại.", true); }
      save.disabled = false;
    });
    details.append(form);
    return details;
  }

  // --- state -------------------------------------------------------------------------------------------------
  function merge(vote) {
    const known = votes.get(vote.id);
    // events are public: this person's own ballot comes from what the page knew (or none yet, for a new vote)
    if (!("my_vote" in vote)) {
      if (known && "my_vote" in known) vote.my_vote = known.my_vote;
      else if (canVote) vote.my_vote = null;
    }
    if (known && known.voted > vote.voted && vote.status === known.status) vote.voted = known.voted;
    votes.set(vote.id, vote);
    render(vote);
  }

  function show(data) {
    canManage = data.can_manage;
    canVote = !!data.can_vote;
    members = data.members || [];
    if (createForm) createForm.classList.toggle("hidden", !canManage);
    list.textContent = "";
    votes.clear();
    data.votes.forEach((v) => { votes.set(v.id, v); render(v); });
    if (!data.votes.length) list.append(el("li", "mv-empty", "Chưa có biểu quyết nào."));
    root.dataset.loaded = "1";
    resendAll();
  }

  async function load() {
    try {
      const r = await call("GET", base);
      if (r.ok) show(r.data); else say(errorText(r), true);
    } catch (err) { say("Mất kết nối với máy chủ; trang sẽ tải lại trạng thái khi có mạng.", true); }
  }
  // The room's snapshot (first load, or a page that missed too much) has the votes as this person sees them.
  document.addEventListener("meeting:snapshot", (e) => { if (e.detail && e.detail.votes) show(e.detail.votes); });

  // One send of a pending ballot: {ok, retry, data} (data as the HTTP answer's body), or a thrown error when
  // neither door reached the server.
  function overSocket(voteId, pending) {
    const socket = window.edocSocket;
    if (!socket || !socket.connected || !meetingId) return Promise.resolve(null);
    return new Promise((resolve) => {
      socket.timeout(SOCKET_WAIT).emit("meeting.vote.cast",
        { meeting_id: meetingId, vote_id: voteId, choice: pending.choice, idempotency_key: pending.key },
        (err, answer) => resolve(err || !answer ? null : answer));
    });
  }
  async function sendOnce(voteId, pending) {
    const answer = await overSocket(voteId, pending);
    if (answer) {
      if (answer.ok) return { ok: true, retry: false, data: answer };
      return { ok: false, retry: !!answer.retry, data: { error: { message: answer.error } } };
    }
    // the socket is down or did not answer: HTTP, same key (a ballot the socket did deliver is answered as a resend)
    const r = await call("POST", `${base}/${voteId}/cast`, { choice: pending.choice, idempotency_key: pending.key });
    return { ok: r.ok, retry: r.status >= 500, data: r.ok ? r.data : { error: { message: errorText(r) } } };
  }

  async function submit(voteId) {
    const raw = localStorage.getItem(pendingKey(voteId));
    if (!raw) return;
    const pending = JSON.parse(raw);
    say("Đang gửi phiếu…");
    let r;
    try {
      r = await sendOnce(voteId, pending);
    } catch (err) {
      say("Mất kết nối: phiếu sẽ được gửi lại khi có mạng (chỉ được tính một lần).", true);
      setTimeout(() => submit(voteId), 3000);
      return;
    }
    if (r.retry) { setTimeout(() => submit(voteId), 1000 + Math.random() * 2000); say(r.data.error.message, true); return; }
    localStorage.removeItem(pendingKey(voteId));
    const vote = votes.get(voteId);
    if (r.ok) {
      if (r.data.receipt) sessionStorage.setItem("edoc-vote-receipt-" + voteId, r.data.receipt);
      say(r.data.message);
      if (vote) { vote.my_vote = { channel: r.data.channel, choice: vote.kind === "secret" ? null : pending.choice }; render(vote); }
    } else {
      say(r.data.error.message, true);
      if (vote) render(vote);
    }
  }
  function resendAll() { votes.forEach((v) => { if (localStorage.getItem(pendingKey(v.id))) submit(v.id); }); }

  if (createForm) {
    const election = createForm.querySelector(".mv-election");
    const sets = createForm.querySelector("[name=option_set]");
    const kind = createForm.querySelector("[name=kind]");
    sets.addEventListener("change", () => {
      election.classList.toggle("hidden", sets.value !== "election");
      if (sets.value === "election") kind.value = "secret";
    });
    createForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = createForm.elements;
      const body = { title: f.title.value, kind: f.kind.value, option_set: f.option_set.value, preset: f.preset.value };
      if (body.option_set === "election") {
        body.candidates = f.candidates.value.split("\n").map((s) => s.trim()).filter(Boolean);
        body.seats = Number(f.seats.value || 1);
      }
      try {
        const r = await call("POST", base, body);
        if (r.ok) { list.querySelector(".mv-empty")?.remove(); merge(r.data); createForm.reset(); election.classList.add("hidden"); say("Đã tạo biểu quyết."); }
        else say(errorText(r), true);
      } catch (err) { say("Mất kết nối với máy chủ: hãy thử lại.", true); }
    });
  }

  // The room's events (meeting-room.js applies the sequence numbers and re-dispatches each as "meeting:event";
  // a page that missed some gets them again through its catch-up, so applying one twice is harmless).
  document.addEventListener("meeting:event", (e) => {
    const ev = e.detail || {};
    const d = ev.data || {};
    if (ev.type === "vote.created" || ev.type === "vote.opened" || ev.type === "vote.closed") {
      list.querySelector(".mv-empty")?.remove();
      merge(d);
      if (ev.type === "vote.closed") root.dataset.lastClosed = String(d.id);
    } else if (ev.type === "vote.turnout") {
      const vote = votes.get(d.vote_id);
      if (!vote || d.voted < vote.voted) return;
      vote.voted = d.voted;
      const count = document.querySelector(`#mv-vote-${d.vote_id} .mv-count`);
      if (count) count.textContent = String(d.voted);
    }
  });
  // Reconnected: the state again (this page's own ballot included), and the ballots still waiting go again.
  const socket = window.edocSocket;
  if (socket) {
    let connected = socket.connected;
    socket.on("connect", () => { if (connected) load(); connected = true; });
  }
  load();
})();
