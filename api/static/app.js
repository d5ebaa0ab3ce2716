// autograde pages: local times, countdowns and the drop zone. No build step.
(function () {
  "use strict";
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function plural(n, w) { return n + " " + w + (n === 1 ? "" : "s"); }
  function left(ms) {
    const past = ms < 0; let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400; const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60);
    const t = d ? plural(d, "day") + " " + h + " h" : h ? h + " h " + m + " min" : m + " min";
    return past ? "(" + t + " ago)" : "(in " + t + ")";
  }
  function localise(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      const d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.textContent = fmt.format(d); }
    });
    root.querySelectorAll(".countdown[data-until]").forEach(function (el) {
      el.textContent = left(new Date(el.dataset.until) - Date.now());
    });
  }
  function dropzone(form) {
    const zone = form.querySelector("[data-drop]"); const input = form.querySelector("input[type=file]");
    const list = form.querySelector("[data-picked]");
    function show() {
      list.innerHTML = "";
      Array.from(input.files).forEach(function (f) {
        const li = document.createElement("li"); li.textContent = f.name + " (" + f.size + " bytes)"; list.appendChild(li);
      });
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (e) { zone.addEventListener(e, function (ev) { ev.preventDefault(); zone.classList.add("over"); }); });
    ["dragleave", "drop"].forEach(function (e) { zone.addEventListener(e, function () { zone.classList.remove("over"); }); });
    zone.addEventListener("drop", function (ev) { ev.preventDefault(); if (ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; show(); } });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localise(document);
    document.querySelectorAll("form[data-dropzone]").forEach(dropzone);
    setInterval(function () { localise(document); }, 30000);
  });
  document.addEventListener("htmx:afterSwap", function (ev) { localise(ev.target.parentNode || document); });
})();
