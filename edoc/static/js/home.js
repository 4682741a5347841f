// A notification means something may have moved into or out of one of the to-do lists; so may a missed one while
// the connection was down. Either way the list is fetched again rather than guessed. The page's first connect
// is no reconnect: the list came with the page, so only later connects fetch it. (A static file: pages run under
// a CSP of script-src 'self'; the fragment's address comes in the script tag's data attribute.)
(function () {
  "use strict";
  const url = document.getElementById("home-script").dataset.toDoUrl;
  const refresh = () => fetch(url, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : null))
    .then((html) => { if (html) document.getElementById("to-do").outerHTML = html; });
  document.addEventListener("edoc:notification", refresh);
  const socket = window.edocSocket;
  if (!socket) return;
  let connectedBefore = socket.connected;  // already connected when this runs: the next connect is a reconnect
  socket.on("connect", () => {
    if (connectedBefore) refresh();
    connectedBefore = true;
  });
})();
