// Confirmation in the page for actions that cannot be undone (submit, return, issue, recall, …): a form with
// data-confirm="question" is not sent at once; the question appears inside the form with "Xác nhận" and "Hủy",
// and only "Xác nhận" sends it. Loaded as a static file (no inline handlers: the pages run under a strict CSP,
// script-src 'self'). Without JavaScript the form is sent as it is; the server still checks everything.
(function () {
  "use strict";
  function close(form) {
    const box = form.querySelector(".confirm-box");
    if (box) box.remove();
    form.querySelectorAll("button[data-confirm-hidden]").forEach((b) => {
      b.hidden = false;
      b.removeAttribute("data-confirm-hidden");
    });
  }
  function ask(form) {
    if (form.querySelector(".confirm-box")) return;
    const box = document.createElement("div");
    box.className = "confirm-box";
    box.setAttribute("role", "alertdialog");
    const question = document.createElement("p");
    question.className = "confirm-question";
    question.textContent = form.dataset.confirm;
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "primary confirm-yes";
    yes.textContent = "Xác nhận";
    const no = document.createElement("button");
    no.type = "button";
    no.className = "confirm-no";
    no.textContent = "Hủy";
    yes.addEventListener("click", () => {
      form.dataset.confirmed = "1";
      yes.disabled = true;  // one click, one request
      no.disabled = true;
      if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.submit();
    });
    no.addEventListener("click", () => close(form));
    box.append(question, yes, no);
    form.querySelectorAll("button:not([type=button])").forEach((b) => {
      b.hidden = true;
      b.setAttribute("data-confirm-hidden", "");
    });
    form.appendChild(box);
    yes.focus();
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (form.dataset.confirmed === "1") return;  // the confirmed submission goes through
    event.preventDefault();
    ask(form);
  }, true);
})();
