// The directory's search without a server (the static export): the server answers /?q= itself, and then this
// script has nothing to do. Served from 'self' (no inline script); the pages work without it.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  var prefix = lang === "en" ? "/en" : "";
  function compact(text) {
    return text.replace(/[đĐð]/g, "d").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đð]/g, "d").replace(/[^0-9a-z]+/g, "");
  }
  function load(then) {
    fetch("/static/search-index.json").then(function (r) { return r.json(); }).then(then);
  }
  function say(text) {
    var main = document.getElementById("main");
    var p = document.createElement("p");
    p.className = "note";
    p.setAttribute("role", "status");
    p.textContent = text;
    var h1 = main.querySelector("h1");
    h1.parentNode.insertBefore(p, h1.nextSibling);
    return p;
  }
  var from = params.get("from");
  if (from && !document.querySelector(".note")) {
    load(function (index) {
      var note = index.notes[from];
      if (note && window.location.pathname.indexOf("/don-vi/" + note.unit + "/") >= 0) { say(note[lang]); }
    });
  }
  var q = (params.get("q") || "").slice(0, 200);
  if (q && document.querySelector("ul.units") && !document.getElementById("results-h")) {
    load(function (index) {
      var key = compact(q);
      var prefixes = ["", "tinh", "thanhpho", "tp"];
      for (var i = 0; i < prefixes.length; i++) {
        var found = key.indexOf(prefixes[i]) === 0 ? index.keys[key.slice(prefixes[i].length)] : undefined;
        if (found && found.u) {
          window.location.replace(prefix + "/don-vi/" + found.u + "/" + (found.f ? "?from=" + found.f : ""));
          return;
        }
        if (found && found.c) {
          var p = say(index.choose[lang].replace("{query}", q));
          var ul = document.createElement("ul");
          found.c.forEach(function (c) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = prefix + c[1];
            a.textContent = c[0];
            li.appendChild(a);
            ul.appendChild(li);
          });
          p.parentNode.insertBefore(ul, p.nextSibling);
          return;
        }
      }
      say(index.not_found[lang].replace("{query}", q));
    });
  }
})();
