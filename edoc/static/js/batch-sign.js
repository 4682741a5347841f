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
  // Socket events and the final answer travel on different connections: an event may come after the answer.
  // Events move the bar (only forward); the answer decides the text and each row. Should an event be lost, the
  // bar is completed shortly after the answer.
  let shown = 0, finished = false;
  const showRow = (id, error) => {
    const row = document.getElementById("row-" + id);
    if (row) row.querySelector(".state").textContent = error ? "Lỗi: " + error : "Đã ký";
  };
  const advance = (done, total) => {
    if (done <= shown) return;
    shown = done;
    bar.style.width = Math.round(100 * done / total) + "%";
  };
  if (window.edocSocket) window.edocSocket.on("signing.progress", (m) => {
    advance(m.done, m.total);
    if (finished) return;
    text.textContent = `Đã xử lý ${m.done}/${m.total} văn bản`;
    showRow(m.document_id, m.error);
  });
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
    finished = true;
    result.results.forEach((r) => showRow(r.document_id, r.error));
    setTimeout(() => advance(result.total, result.total), 2000);
    text.textContent = `Đã ký ${result.signed}/${result.total} văn bản.` + (result.errors.length ? " " + result.errors.join("; ") : "");
    document.body.dataset.batch = "done";
  });
})();
