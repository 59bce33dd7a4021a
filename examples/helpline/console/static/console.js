// The console works without JavaScript; this adds a countdown to the
// WhatsApp window and confirmations before irreversible actions.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });
  var w = document.getElementById("window");
  if (!w) return;
  var ends = parseInt(w.getAttribute("data-ends"), 10);
  if (!ends) return;
  function tick() {
    var left = ends - Math.floor(Date.now() / 1000);
    if (left <= 0) return;
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
    w.setAttribute("title", "closes in " + h + " h " + m + " min");
    if (left < 2 * 3600) w.classList.add("closing");
  }
  tick();
  setInterval(tick, 30000);
})();
