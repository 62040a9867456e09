// sockscope export html: steps through a recorded run. Every step is rendered from the embedded data
// alone (as Python Tutor's steps are), so going back is as cheap and as right as going forward.
// Text from the trace is only ever set with textContent, never parsed as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("sockscope-data").textContent);
  var root = document.documentElement;
  var steps = data.steps;
  var total = steps.length;
  var lang = data.lang === "en" ? "en" : "ru";
  var words = {
    ru: { step: "шаг", of: "из", play: "▶ пуск", pause: "❚❚ пауза", first: "|◀", prev: "◀", next: "▶", last: "▶|",
      call: "Вызов", kernel: "Ядро: очереди приёма", consoles: "Консоли", code: "Код", chart: "Диаграмма",
      none: "Ни в одной очереди нет данных.", socket: "сокет", owner: "читает", file: "файл", waiting: "ждут",
      datagrams: "датаграмм", bytes: "байт", noSource: "Исходный код не записан в трассе.", by: "процесс",
      failed: "ошибка", help: "←/→ шаг, Home/End начало/конец, пробел пуск/пауза" },
    en: { step: "step", of: "of", play: "▶ play", pause: "❚❚ pause", first: "|◀", prev: "◀", next: "▶", last: "▶|",
      call: "Call", kernel: "Kernel: receive queues", consoles: "Consoles", code: "Code", chart: "Sequence chart",
      none: "No data waits in any receive queue.", socket: "socket", owner: "read by", file: "file", waiting: "waiting",
      datagrams: "datagrams", bytes: "bytes", noSource: "The trace holds no source code.", by: "process",
      failed: "failed", help: "←/→ step, Home/End first/last, space play/pause" }
  };
  function $(id) { return document.getElementById(id); }
  function text(el, s) { el.textContent = s; return el; }
  function make(tag, cls, s) { var e = document.createElement(tag); if (cls) e.className = cls; if (s != null) e.textContent = s; return e; }

  // Console output per process, with the step from which each piece shows.
  var outputsByPid = {};
  data.outputs.forEach(function (o) { (outputsByPid[o.pid] = outputsByPid[o.pid] || []).push(o); });

  function consoleLines(pid, step, height) {
    var list = outputsByPid[pid] || [];
    var lo = 0, hi = list.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (list[mid].step <= step) lo = mid + 1; else hi = mid; }
    var pieces = [], newlines = 0;
    for (var i = lo - 1; i >= 0 && newlines <= height; i--) {
      pieces.push(list[i].text);
      newlines += (list[i].text.match(/\n/g) || []).length;
    }
    var lines = pieces.reverse().join("").split("\n");
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.slice(-height);
  }

  // The sequence chart: Graphviz's SVG, cleaned of anything that could run, with each node and edge
  // mapped to the step it belongs to (node titles are e<event index>, edges e<send>->e<receive>).
  var stepOfEvent = {};
  steps.forEach(function (s, k) { stepOfEvent[s.event] = k; });
  var charts = {};
  function loadChart(which) {
    if (charts[which] !== undefined) return charts[which];
    var source = data.svg && data.svg[which];
    if (!source) { charts[which] = null; return null; }
    var doc = new DOMParser().parseFromString(source, "image/svg+xml");
    var svg = doc.documentElement;
    if (svg.nodeName.toLowerCase() !== "svg") { charts[which] = null; return null; }
    svg.querySelectorAll("script, foreignObject").forEach(function (e) { e.remove(); });
    svg.querySelectorAll("*").forEach(function (e) {
      Array.prototype.slice.call(e.attributes).forEach(function (a) {
        var v = a.value.trim().toLowerCase();
        if (/^on/i.test(a.name) || ((a.name === "href" || a.name === "xlink:href") && v.indexOf("javascript:") === 0)) e.removeAttribute(a.name);
      });
    });
    var byStep = {};
    svg.querySelectorAll("g.node, g.edge").forEach(function (g) {
      var t = g.querySelector("title"); if (!t) return;
      var m = /^e(\d+)(?:_\w+)?$/.exec(t.textContent) || /->\s*e(\d+)$/.exec(t.textContent) || /^m\d+_(\d+)$/.exec(t.textContent);
      if (!m) return;
      var k = stepOfEvent[+m[1]]; if (k === undefined) return;
      g.setAttribute("data-step", String(k + 1));
      (byStep[k] = byStep[k] || []).push(g);
      g.addEventListener("click", function () { go(k); });
    });
    charts[which] = { svg: document.importNode(svg, true), byStep: byStep };
    // importNode copies nodes, not listeners: map again on the imported tree.
    var imported = charts[which].svg, map = {};
    imported.querySelectorAll("g[data-step]").forEach(function (g) {
      var k = +g.getAttribute("data-step") - 1;
      (map[k] = map[k] || []).push(g);
      g.addEventListener("click", function () { go(k); });
    });
    charts[which].byStep = map;
    return charts[which];
  }

  var current = 0, timer = null;

  function renderChrome() {
    var w = words[lang];
    root.lang = lang;
    text($("first"), w.first); text($("prev"), w.prev); text($("next"), w.next); text($("last"), w.last);
    text($("play"), timer ? w.pause : w.play);
    text($("h-call"), w.call); text($("h-kernel"), w.kernel); text($("h-consoles"), w.consoles);
    text($("h-code"), w.code); text($("h-chart"), w.chart); text($("help"), w.help);
    $("lang-ru").setAttribute("aria-pressed", String(lang === "ru"));
    $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
    var holder = $("chart"); holder.textContent = "";
    var chart = loadChart(lang);
    if (chart) holder.appendChild(chart.svg); else holder.appendChild(make("p", "muted", "—"));
    renderPrint();
  }

  function render() {
    var w = words[lang], s = steps[current];
    root.setAttribute("data-step", String(current + 1));
    text($("position"), w.step + " " + (current + 1) + " " + w.of + " " + total + (s.t != null ? "  ·  " + s.t.toFixed(3) + " s" : ""));
    $("slider").value = String(current + 1);
    var who = data.participants[s.p];
    text($("who"), w.by + " " + (who ? who.name : "?") + (s.failed ? " — " + w.failed : ""));
    var call = $("call"); text(call, s.call); call.className = s.failed ? "failed" : "";
    text($("say"), s.say[lang] || s.say.ru || "");
    // Kernel: receive queues after this step.
    var q = $("queues"); q.textContent = "";
    if (!s.queues.length) { q.appendChild(make("p", "muted", w.none)); }
    else {
      var table = make("table", "queues"), head = make("tr");
      [w.socket, w.file, w.owner, w.waiting].forEach(function (h) { head.appendChild(make("th", null, h)); });
      table.appendChild(head);
      s.queues.forEach(function (x) {
        var tr = make("tr");
        tr.appendChild(make("td", null, String(x.socket)));
        tr.appendChild(make("td", null, x.path || "—"));
        tr.appendChild(make("td", null, x.owner));
        tr.appendChild(make("td", null, x.waiting + " " + (x.stream ? w.bytes : w.datagrams)));
        table.appendChild(tr);
      });
      q.appendChild(table);
    }
    // Consoles, one per process.
    var box = $("consoles"); box.textContent = "";
    data.participants.forEach(function (p, i) {
      var pane = make("div", "console" + (i === s.p ? " acting" : ""));
      pane.appendChild(make("div", "title", p.name));
      pane.appendChild(document.createTextNode(consoleLines(p.pid, current, 12).join("\n")));
      box.appendChild(pane);
    });
    // Code: the source line of the call, when the trace recorded it.
    var code = $("code"); code.textContent = "";
    var src = s.source && data.sources[s.source.file];
    if (src) {
      var pre = make("pre");
      src.split("\n").forEach(function (line, n) {
        var ln = make("span", "ln" + (n + 1 === s.source.line ? " current" : ""), line);
        ln.setAttribute("data-n", String(n + 1));
        pre.appendChild(ln);
      });
      code.appendChild(make("div", "muted", s.source.file + ":" + s.source.line));
      code.appendChild(pre);
      var cur = pre.querySelector(".current"); if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: "nearest" });
    } else {
      code.appendChild(make("p", "none", w.noSource));
    }
    // The chart: the step's call and message highlighted.
    var chart = loadChart(lang);
    if (chart) {
      chart.svg.querySelectorAll("g.current").forEach(function (g) { g.classList.remove("current"); });
      var marked = chart.byStep[current] || [];
      marked.forEach(function (g) { g.classList.add("current"); });
      // Scroll the chart's own box, not the page, so the step's arrow stays in view.
      var box = document.querySelector("section.chart");
      if (marked.length && box) {
        var r = marked[0].getBoundingClientRect(), c = box.getBoundingClientRect();
        if (r.top < c.top || r.bottom > c.bottom) box.scrollTop += r.top - c.top - c.height / 2;
        if (r.left < c.left || r.right > c.right) box.scrollLeft += r.left - c.left - c.width / 2;
      }
    }
    if (location.hash !== "#step=" + (current + 1)) history.replaceState(null, "", "#step=" + (current + 1));
  }

  function go(k) { current = Math.max(0, Math.min(total - 1, k)); render(); }
  function togglePlay() {
    if (timer) { clearInterval(timer); timer = null; }
    else {
      if (current >= total - 1) current = -1;
      timer = setInterval(function () { if (current >= total - 1) { togglePlay(); return; } go(current + 1); }, 700);
      go(current + 1);
    }
    text($("play"), timer ? words[lang].pause : words[lang].play);
    $("play").setAttribute("aria-pressed", String(!!timer));
  }
  function fromHash() {
    var m = /^#step=(\d+)$/.exec(location.hash);
    return m ? Math.max(0, Math.min(total - 1, parseInt(m[1], 10) - 1)) : 0;
  }

  // Every step, for print: the call and its explanation.
  function renderPrint() {
    var ol = $("all-steps"); ol.textContent = "";
    if (total > 5000) { ol.appendChild(make("li", null, total + " " + words[lang].step)); return; }
    steps.forEach(function (s) {
      var li = make("li"), who = data.participants[s.p];
      li.appendChild(make("code", null, (who ? who.name : "?") + ": " + s.call));
      li.appendChild(document.createTextNode(" — " + (s.say[lang] || "")));
      ol.appendChild(li);
    });
  }

  $("first").addEventListener("click", function () { go(0); });
  $("prev").addEventListener("click", function () { go(current - 1); });
  $("next").addEventListener("click", function () { go(current + 1); });
  $("last").addEventListener("click", function () { go(total - 1); });
  $("play").addEventListener("click", togglePlay);
  $("slider").max = String(total);
  $("slider").addEventListener("input", function () { go(parseInt($("slider").value, 10) - 1); });
  $("lang-ru").addEventListener("click", function () { lang = "ru"; renderChrome(); render(); });
  $("lang-en").addEventListener("click", function () { lang = "en"; renderChrome(); render(); });
  document.addEventListener("keydown", function (e) {
    if (e.target && (e.target.tagName === "INPUT" && e.target.type !== "range")) return;
    if (e.key === "ArrowRight") { go(current + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft") { go(current - 1); e.preventDefault(); }
    else if (e.key === "Home") { go(0); e.preventDefault(); }
    else if (e.key === "End") { go(total - 1); e.preventDefault(); }
    else if (e.key === " ") { togglePlay(); e.preventDefault(); }
  });
  window.addEventListener("hashchange", function () { go(fromHash()); });
  root.setAttribute("data-steps", String(total));
  // Without recorded source lines the code panel would stay empty: the call panel takes its place.
  if (!Object.keys(data.sources || {}).length) { document.querySelector("section.code").hidden = true; $("main").classList.add("no-code"); }
  current = fromHash();
  renderChrome();
  render();
  root.setAttribute("data-ready", "true");
})();
