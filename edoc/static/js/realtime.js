// One authenticated Socket.IO connection per page. Personal notifications update the bell and show a toast;
// after a reconnect the page re-fetches its state, so an event missed while offline is never lost.
(function () {
  "use strict";
  if (typeof io === "undefined") return;
  const socket = io({ transports: ["websocket", "polling"] });
  window.edocSocket = socket;
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
  // Signed out elsewhere (account locked, password changed): the server has already taken this page out of
  // the user's channel; say so instead of showing a page that silently stopped updating.
  socket.on("session.ended", () => {
    socket.disconnect();
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
