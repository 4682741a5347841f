// The signer clicks where the signature goes on a page drawn at whatever size the browser shows it; the click is
// turned into PDF points from the page's bottom left. The signature box's size (mm) comes in the script tag.
(function () {
  "use strict";
  const boxMm = document.getElementById("place-script").dataset.boxMm.split(" ").map(Number), ptPerMm = 72 / 25.4;
  const text = document.getElementById("place-text"), button = document.getElementById("place-sign");
  let marker = null;
  document.querySelectorAll(".page-pick img").forEach((img) => img.addEventListener("click", (e) => {
    const figure = img.parentElement, widthPt = +figure.dataset.width, heightPt = +figure.dataset.height;
    const scale = img.clientWidth / widthPt;  // CSS pixels per PDF point
    const x = e.offsetX / scale, y = heightPt - e.offsetY / scale;
    document.getElementById("place-page").value = figure.dataset.page;
    document.getElementById("place-x").value = x.toFixed(1);
    document.getElementById("place-y").value = y.toFixed(1);
    if (!marker) { marker = document.createElement("div"); marker.id = "place-marker"; }
    const w = boxMm[0] * ptPerMm * scale, h = boxMm[1] * ptPerMm * scale;
    marker.style.width = w + "px"; marker.style.height = h + "px";
    marker.style.left = (img.offsetLeft + e.offsetX - w / 2) + "px"; marker.style.top = (img.offsetTop + e.offsetY - h / 2) + "px";
    figure.appendChild(marker);
    text.textContent = `Trang ${figure.dataset.page}, cách lề trái ${(x / ptPerMm).toFixed(0)} mm, cách mép dưới ${(y / ptPerMm).toFixed(0)} mm`;
    button.disabled = false;
  }));
})();
