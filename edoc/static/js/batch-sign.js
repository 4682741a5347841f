// Batch signing: nothing is ticked at first; the signer ticks what they have read. The chosen documents are
// signed with one PIN; progress comes over the signer's own socket channel and the final answer decides.
(function () {
  "use strict";
  const form = document.getElementById("batch-form");
  if (!form) return;
  const all = document.getElementById("check-all");
  const boxes = () => Array.from(form.querySelectorAll("input[name=ids]"));
  const counter = document.getElementById("picked-count");
  const count = () => { if (counter) counter.textContent = String(boxes().filter((c) => c.checked).length); };
  if (all) all.addEventListener("change", () => { boxes().forEach((c) => { c.checked = all.checked; }); count(); });
  form.addEventListener("change", count);
  count();
  const button = document.getElementById("batch-sign");
  if (!button) return;
  const bar = document.getElementById("progress-bar"), text = document.getElementById("progress-text");
  // The documents are signed by background jobs (edoc.jobs). Progress comes over the signer's own socket channel
  // ("signing.progress", then "signing.done"); the batch's state (the answer, then GET /signatures/batch/<id>)
  // decides the text and each row. Events move the bar only forward. Should an event be lost or the socket
  // reconnect, the state is asked again, and every few seconds until the batch is finished.
  let shown = 0, batch = null, finished = false, poll = null;
  const showRow = (id, error) => {
    const row = document.getElementById("row-" + id);
    if (row) row.querySelector(".state").textContent = error ? "Lỗi: " + error : "Đã ký";
  };
  const advance = (done, total) => {
    if (done <= shown || !total) return;
    shown = done;
    bar.style.width = Math.round(100 * done / total) + "%";
  };
  const show = (state) => {
    if (finished) return;
    state.results.forEach((r) => showRow(r.document_id, r.error));
    if (!state.finished) { text.textContent = `Đã xử lý ${state.done}/${state.total} văn bản`; return; }
    finished = true;
    if (poll) clearInterval(poll);
    setTimeout(() => advance(state.total, state.total), 2000);
    text.textContent = `Đã ký ${state.signed}/${state.total} văn bản.` + (state.errors.length ? " " + state.errors.join("; ") : "");
    document.body.dataset.batch = "done";
  };
  const ask = async () => {
    if (!batch || finished) return;
    try {
      const response = await fetch(form.action + "/" + encodeURIComponent(batch),
                                   { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (response.ok) show(await response.json());
    } catch (err) { /* the next poll or event asks again */ }
  };
  if (window.edocSocket) {
    window.edocSocket.on("signing.progress", (m) => {
      if (batch && m.batch !== batch) return;
      advance(m.done, m.total);
      if (finished) return;
      text.textContent = `Đã xử lý ${m.done}/${m.total} văn bản`;
      showRow(m.document_id, m.error);
    });
    window.edocSocket.on("signing.done", (m) => { if (!batch || m.batch === batch) ask(); });
    window.edocSocket.on("connect", ask);
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!boxes().some((c) => c.checked)) {
      text.textContent = "Chưa chọn văn bản nào: đánh dấu những văn bản bạn đã đọc và đồng ý ký.";
      return;
    }
    button.disabled = true;
    text.textContent = "Đang ký…";
    let response, result;
    try {
      response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                            headers: { "Accept": "application/json" } });
      result = await response.json();
    } catch (err) {
      text.textContent = "Không nhận được kết quả từ máy chủ. Tải lại trang để xem văn bản nào đã được ký.";
      button.disabled = false;
      return;
    }
    if (!response.ok) { text.textContent = result.error.message; button.disabled = false; return; }
    batch = result.batch;
    show(result);
    if (!finished) poll = setInterval(ask, 3000);
  });
})();
