// Attachments, a nicety on top of pages that work without it. In the compose box:
// files dropped or chosen are listed with a preview, a size and an alt text field each
// (with a nudge while a picture has none), and are sent with a progress bar. Under
// posts: a photo opens in a dialog instead of on its own. Every word shown comes from
// the page (data attributes rendered from the message catalogue).
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;

  function humanSize(n) {
    var unit = "byte", v = n;
    if (n >= 1e6) { unit = "megabyte"; v = n / 1e6; } else if (n >= 1e3) { unit = "kilobyte"; v = n / 1e3; }
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "short", maximumFractionDigits: unit === "megabyte" ? 1 : 0 }).format(v);
    } catch (e) {
      return String(n);
    }
  }

  var serial = 0;

  // enhance takes over the file field of one compose form. carried: files (with their
  // alt texts) to list at once, when the form came back after a refusal.
  function enhance(form, carried) {
    if (!form || form.dataset.enhanced || !form.dataset.altLabel) return;
    var input = form.querySelector("input[type=file][name=media]");
    var list = form.querySelector("ul.attachments");
    if (!input || !list || !window.FormData || !window.XMLHttpRequest) return;
    var bar = document.createElement("progress");
    bar.className = "upload";
    bar.max = 100;
    bar.hidden = true;
    bar.setAttribute("aria-label", form.dataset.sending);
    list.after(bar);
    form.dataset.enhanced = "1";
    var d = form.dataset;
    var chosen = []; // {file, alt, item, url}
    var plainAlts = form.querySelector(".alts");
    if (plainAlts) {
      // The script gives each file its own field; the numbered ones are for pages without it.
      plainAlts.hidden = true;
      plainAlts.querySelectorAll("input").forEach(function (i) { i.disabled = true; });
    }

    function add(file, altText) {
      var id = "alt-" + (++serial);
      var item = document.createElement("li");
      var entry = { file: file, item: item, url: "" };
      if (/^image\//.test(file.type) && window.URL && URL.createObjectURL) {
        entry.url = URL.createObjectURL(file);
        var img = document.createElement("img");
        img.src = entry.url;
        img.alt = "";
        img.className = "thumb";
        item.appendChild(img);
      } else {
        var icon = document.createElement("span");
        icon.className = "thumb icon";
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = /^video\//.test(file.type) ? "🎬" : /^audio\//.test(file.type) ? "🎵" : "📎";
        item.appendChild(icon);
      }
      var body = document.createElement("div");
      var name = document.createElement("p");
      name.className = "name";
      name.textContent = file.name + " · " + humanSize(file.size);
      body.appendChild(name);
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = d.altLabel;
      var alt = document.createElement("input");
      alt.id = id;
      alt.maxLength = 1500;
      alt.value = altText || "";
      body.appendChild(label);
      body.appendChild(alt);
      // A gentle nudge: a picture or a film without a description says nothing to
      // whoever cannot see it. Posting stays possible.
      if (/^(image|video)\//.test(file.type)) {
        var nudge = document.createElement("p");
        nudge.className = "hint nudge";
        nudge.id = id + "-nudge";
        nudge.textContent = d.altNudge;
        alt.setAttribute("aria-describedby", nudge.id);
        var update = function () { nudge.hidden = alt.value.trim() !== ""; };
        alt.addEventListener("input", update);
        update();
        body.appendChild(nudge);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = d.remove;
      remove.setAttribute("aria-label", d.remove + " " + file.name);
      remove.addEventListener("click", function () {
        chosen = chosen.filter(function (c) { return c !== entry; });
        if (entry.url) URL.revokeObjectURL(entry.url);
        item.remove();
        list.hidden = chosen.length === 0;
        input.focus();
      });
      body.appendChild(remove);
      item.appendChild(body);
      entry.alt = alt;
      chosen.push(entry);
      list.appendChild(item);
      list.hidden = false;
    }

    function addAll(files) {
      for (var i = 0; i < files.length; i++) add(files[i]);
    }

    input.addEventListener("change", function () {
      addAll(input.files);
      input.value = ""; // the list holds them now; choosing again adds more
    });

    function hasFiles(e) {
      return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], "Files") >= 0;
    }
    form.addEventListener("dragover", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      form.classList.add("dropping");
    });
    form.addEventListener("dragleave", function (e) {
      if (!form.contains(e.relatedTarget)) form.classList.remove("dropping");
    });
    form.addEventListener("drop", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      form.classList.remove("dropping");
      addAll(e.dataTransfer.files);
    });

    (carried || []).forEach(function (c) { add(c.file, c.alt); });

    form.addEventListener("submit", function (e) {
      if (chosen.length === 0) return; // the browser sends the form as it is
      e.preventDefault();
      // Fields first, then the alt texts, then the files: the server reads the body in
      // order and gives each file the description already read.
      var data = new FormData();
      new FormData(form).forEach(function (v, k) {
        if (k !== "media" && k !== "media_description") data.append(k, v);
      });
      chosen.forEach(function (c) { data.append("media_description", c.alt.value); });
      chosen.forEach(function (c) { data.append("media", c.file, c.file.name); });
      var button = form.querySelector("button[type=submit]");
      var error = form.querySelector(".upload-error");
      if (error) error.remove();
      if (button) button.disabled = true;
      form.setAttribute("aria-busy", "true");
      bar.hidden = false;
      bar.value = 0;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      // The token as a header lets the server read the files as they arrive.
      xhr.setRequestHeader("X-CSRF-Token", form.elements.csrf_token.value);
      xhr.upload.onprogress = function (p) {
        if (p.lengthComputable) bar.value = Math.round(100 * p.loaded / p.total);
      };
      function failed() {
        if (button) button.disabled = false;
        form.removeAttribute("aria-busy");
        bar.hidden = true;
        var p = document.createElement("p");
        p.className = "error upload-error";
        p.setAttribute("role", "alert");
        p.textContent = d.failed;
        bar.after(p);
      }
      xhr.onerror = failed;
      xhr.onload = function () {
        var to = xhr.responseURL ? new URL(xhr.responseURL, location.href) : null;
        if (xhr.status < 300 && to && to.pathname !== new URL(form.action, location.href).pathname) {
          location.assign(to.href); // posted: the page the server sent us to
          return;
        }
        // Refused: the server's page says why and keeps the text; the files stay chosen.
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var main = doc.querySelector("main"), here = document.querySelector("main");
        if (!main || !here) { failed(); return; }
        here.replaceWith(document.adoptNode(main));
        if (doc.title) document.title = doc.title;
        var keep = chosen.map(function (c) { return { file: c.file, alt: c.alt.value }; });
        chosen.forEach(function (c) { if (c.url) URL.revokeObjectURL(c.url); });
        enhance(document.querySelector("form.compose"), keep);
        var alert = document.querySelector("main [role=alert]");
        if (alert) { alert.tabIndex = -1; alert.focus(); }
      };
      xhr.send(data);
    });
  }

  document.querySelectorAll("form.compose").forEach(function (f) { enhance(f); });

  // The lightbox: a photo opens in a dialog over the page; Escape, the button or a
  // click outside the photo closes it. New posts (live.js) work too.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.lightbox");
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    if (typeof HTMLDialogElement !== "function") return;
    e.preventDefault();
    var thumb = link.querySelector("img");
    var dialog = document.createElement("dialog");
    dialog.className = "lightbox-dialog";
    var figure = document.createElement("figure");
    var img = document.createElement("img");
    img.src = link.href;
    img.alt = thumb ? thumb.alt : "";
    figure.appendChild(img);
    if (img.alt) {
      var caption = document.createElement("figcaption");
      caption.textContent = img.alt;
      figure.appendChild(caption);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = document.body.dataset.close || "×";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.appendChild(close);
    dialog.appendChild(figure);
    dialog.addEventListener("click", function (ev) { if (ev.target === dialog) dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); link.focus(); });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
})();
