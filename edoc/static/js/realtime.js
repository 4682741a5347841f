// One authenticated Socket.IO connection per page. Personal notifications update the bell and show a toast;
// after a reconnect the page re-fetches its state, so an event missed while offline is never lost.
(function () {
  "use strict";
  if (typeof io === "undefined") return;
  // WebSocket only when the server runs several worker processes (it says so on <body>): polling needs stickiness.
  const socket = io({ transports: (document.body.dataset.socketTransports || "websocket,polling").split(",") });
  window.edocSocket = socket;
  // Network cuts. Socket.IO's manager waits up to reconnectionDelayMax (5 s by default) between attempts, so a page
  // could sit offline for seconds after the network is back: attempts every 0.5-2 s instead, and one at once when
  // the browser says it is online again. A socket that still looks connected then may be dead (its pings went
  // nowhere during the cut, and the server has dropped its session after its ping timeout): a fresh connection
  // costs less than waiting for the client to notice. Pages (the meeting room) catch up on "connect".
  if (socket.io && socket.io.reconnectionDelayMax) {
    socket.io.reconnectionDelay(500);
    socket.io.reconnectionDelayMax(2000);
  }
  // While the browser knows it is offline, attempts back off to one every 30 s at most: each would fail, and
  // Chromium delays new WebSockets after many failures (measured: the connection 5 s late after a 2-minute cut with
  // attempts every 2 s, bench/meeting_network_cut.py), which would come on top of the recovery. Not stopped: a
  // browser that never says "online" again still gets back.
  window.addEventListener("offline", () => {
    socket.io?.reconnectionDelayMax(30000);
    if (document.body.dataset.realtime !== "ended") document.body.dataset.realtime = "offline";
  });
  window.addEventListener("online", () => {
    socket.io?.reconnectionDelayMax(2000);
    if (document.body.dataset.realtime === "ended" || document.body.dataset.realtime === "checking") return;
    socket.disconnect();
    socket.connect();
  });
  const badge = document.getElementById("unread-count");

  function setUnread(n) {
    if (!badge) return;
    badge.textContent = String(n);
    badge.classList.toggle("hidden", !n);
  }
  function toast(text, link) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const el = document.createElement(link ? "a" : "div");
    el.className = "toast";
    el.textContent = text;
    if (link) el.href = link;
    box.appendChild(el);
    setTimeout(() => el.remove(), 8000);
  }
  socket.on("notification", (msg) => {
    setUnread(msg.unread);
    toast(msg.text, msg.link);
    const list = document.getElementById("home-notifications") || document.getElementById("notification-list");
    if (list) {
      list.querySelector(".empty")?.remove();
      const li = document.createElement("li");
      li.className = "unread";
      if (msg.link) {
        const a = document.createElement("a");
        a.href = msg.link;
        a.textContent = msg.text;
        li.appendChild(a);
      } else {
        li.textContent = msg.text;
      }
      list.prepend(li);
    }
    document.dispatchEvent(new CustomEvent("edoc:notification", { detail: msg }));
  });
  // Items opened in another tab (or this one, before a back button): the bell follows.
  socket.on("notification.count", (msg) => setUnread(msg.unread));
  // Whether this page's cookie still signs it in: the state answers 200 with JSON, or 401.
  function signedIn() {
    return fetch("/notifications/state", { credentials: "same-origin", redirect: "manual",
                                          headers: { "Accept": "application/json" } })
      .then((r) => r.status === 200 && (r.headers.get("Content-Type") || "").startsWith("application/json"))
      .catch(() => false);
  }
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // The user's sessions ended (account locked, password changed): the server has already taken this page out
  // of the user's channel. If the user changed their own password in another tab of this browser, that tab is
  // signed in again with a cookie this page shares, so this page is still signed in and a new connection joins
  // the channel again. The event can come before that tab's answer brings the new cookie: ask again, a little
  // later each time, before saying the session ended (rather than showing a page that silently stopped updating).
  socket.on("session.ended", async () => {
    socket.disconnect();
    document.body.dataset.realtime = "checking";
    for (const delay of [0, 1000, 2000, 4000]) {
      await wait(delay);
      if (await signedIn()) { socket.connect(); return; }
    }
    document.body.dataset.realtime = "ended";
    toast("Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.", "/login");
  });
  socket.on("connect", () => {
    document.body.dataset.realtime = "connected";
    fetch("/notifications/state", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((s) => s && setUnread(s.unread));
  });
  socket.on("disconnect", () => { document.body.dataset.realtime = "disconnected"; });
})();
