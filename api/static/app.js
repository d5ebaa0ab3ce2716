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
  // The upload is sent with fetch so that a refusal leaves the chosen files in the form; the
  // server re-renders the page with the reason, which is copied onto this form. The server
  // decides; the checks here only spare a round trip for what it would refuse anyway.
  function refuse(form, text) {
    const box = form.querySelector("[data-upload-error]"); const input = form.querySelector("input[type=file]");
    box.textContent = text; box.hidden = !text;
    if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }
  function precheck(form) {
    const files = Array.from(form.querySelector("input[type=file]").files);
    const most = Number(form.dataset.maxFiles); const bytes = Number(form.dataset.maxBytes);
    if (!files.length) { return "Choose at least one file to upload."; }
    if (files.length > most) { return "Too many files: at most " + most + " per submission."; }
    if (files.reduce(function (n, f) { return n + f.size; }, 0) > bytes) {
      return "The files are too large: at most " + form.dataset.sizeText + " in total.";
    }
    return "";
  }
  function upload(form) {
    form.addEventListener("submit", function (ev) {
      if (!window.fetch || !window.FormData || !window.DOMParser) { return; }
      ev.preventDefault();
      const early = precheck(form); refuse(form, early);
      if (early) { return; }
      const button = form.querySelector("button[type=submit]"); button.disabled = true;
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { "X-Upload": "fetch" } })
        .then(function (r) {
          if (r.status === 201 && r.headers.get("Location")) { window.location.assign(r.headers.get("Location")); return null; }
          if (r.ok && r.redirected) { window.location.assign(r.url); return null; }
          return r.text().then(function (html) {
            const page = new DOMParser().parseFromString(html, "text/html");
            const box = page.querySelector("[data-upload-error]") || page.querySelector(".alert, main p");
            refuse(form, box ? box.textContent.trim() : "The upload was refused (" + r.status + ").");
          });
        })
        .catch(function () { refuse(form, "The upload did not reach the server; check your connection and try again."); })
        .finally(function () { button.disabled = false; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localise(document);
    document.querySelectorAll("form[data-dropzone]").forEach(dropzone);
    document.querySelectorAll("form[data-dropzone]").forEach(upload);
    setInterval(function () { localise(document); }, 30000);
  });
  document.addEventListener("htmx:afterSwap", function (ev) { localise(ev.target.parentNode || document); });
})();
