// The clerk's, drafter's and signer's open document page follows the recipients live: when one of them reads the
// document or an e-mail goes out, the Nơi nhận table is fetched again (also after a reconnect, so a missed event
// loses nothing). The fragment's address comes from this script tag's data-recipients-url.
(function () {
  "use strict";
  const script = document.getElementById("document-script");
  const table = document.getElementById("recipients-table");
  const socket = window.edocSocket;
  if (!script || !table || !socket) return;
  const id = Number(table.dataset.document);
  function refresh() {
    fetch(script.dataset.recipientsUrl, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => { if (html !== null) { table.innerHTML = html; table.dataset.refreshed = String(Date.now()); } });
  }
  for (const name of ["document.read", "document.dispatch"]) {
    socket.on(name, (msg) => { if (msg && msg.document_id === id) refresh(); });
  }
  socket.on("connect", refresh);
})();
