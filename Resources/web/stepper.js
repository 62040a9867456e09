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
      failed: "ошибка", help: "←/→ шаг, Home/End начало/конец, пробел пуск/пауза; щелчок по строке кода или стрелке — переход",
      noCall: "Этот процесс ещё не делал вызовов с записанной строкой кода.", at: "строка",
      missing: { "not-found": "файл не найден рядом с трассой (укажите --sources DIR)", "left-out": "код не включён (--no-sources)",
        "not-regular": "не обычный файл — не прочитан", "too-large": "файл больше 1 МБ — не включён", "not-text": "не текстовый файл — не включён" },
      lastLine: "последний вызов этого процесса", chartSteps: "шаги", prevPage: "◀ раньше", nextPage: "позже ▶",
      fromStep: "из шага", toStep: "в шаг", unit: "Б", kernelAll: "Ядро", queuesTitle: "очереди приёма", kernelMore: "Ядро: ещё" },
    en: { step: "step", of: "of", play: "▶ play", pause: "❚❚ pause", first: "|◀", prev: "◀", next: "▶", last: "▶|",
      call: "Call", kernel: "Kernel: receive queues", consoles: "Consoles", code: "Code", chart: "Sequence chart",
      none: "No data waits in any receive queue.", socket: "socket", owner: "read by", file: "file", waiting: "waiting",
      datagrams: "datagrams", bytes: "bytes", noSource: "The trace holds no source code.", by: "process",
      failed: "failed", help: "←/→ step, Home/End first/last, space play/pause; click a code line or an arrow to go there",
      noCall: "This process has made no call with a recorded source line yet.", at: "line",
      missing: { "not-found": "file not found next to the trace (give --sources DIR)", "left-out": "code left out (--no-sources)",
        "not-regular": "not a regular file — not read", "too-large": "file larger than 1 MB — left out", "not-text": "not a text file — left out" },
      lastLine: "this process's last call", chartSteps: "steps", prevPage: "◀ earlier", nextPage: "later ▶",
      fromStep: "from step", toStep: "to step", unit: "B", kernelAll: "Kernel", queuesTitle: "receive queues", kernelMore: "Kernel: more" }
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

  // Source lines: per process, the steps that recorded one (to find its last line at any step);
  // per file and line, the steps made there (a click on the line goes to the next of them).
  var files = data.files || [];
  var hasSources = steps.some(function (s) { return !!s.src; });
  var srcStepsOf = data.participants.map(function () { return []; });
  var stepsAtLine = {};
  steps.forEach(function (s, k) {
    if (!s.src) return;
    srcStepsOf[s.p] && srcStepsOf[s.p].push(k);
    if (s.src.f != null && s.src.l != null) { var key = s.src.f + ":" + s.src.l; (stepsAtLine[key] = stepsAtLine[key] || []).push(k); }
  });
  function lastSourceStep(p, k) {
    var list = srcStepsOf[p] || [], lo = 0, hi = list.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (list[mid] <= k) lo = mid + 1; else hi = mid; }
    return lo > 0 ? list[lo - 1] : -1;
  }
  function nextStepAt(f, line) {
    var list = stepsAtLine[f + ":" + line] || [];
    for (var i = 0; i < list.length; i++) if (list[i] > current) return list[i];
    return list.length ? list[0] : -1;
  }
  function siteLabel(src) {
    if (src.f == null) return src.at || "?";
    var name = files[src.f] ? files[src.f].name : "?";
    return name + (src.l != null ? ":" + src.l : "") + (src.fn ? " (" + src.fn + ")" : "");
  }
  // One code box per process, its file's lines rendered once and kept; a step only moves the mark.
  var codeBoxes = [];
  function codeBox(p) {
    if (codeBoxes[p]) return codeBoxes[p];
    var box = make("div", "program"), head = make("div", "program-title"), where = make("div", "where"), body = make("div", "program-body");
    box.appendChild(head); box.appendChild(where); box.appendChild(body);
    codeBoxes[p] = { box: box, head: head, where: where, body: body, file: null, pre: null, lines: [], marked: null };
    return codeBoxes[p];
  }
  function showFile(cb, f) {
    if (cb.file === f) return;
    cb.file = f; cb.body.textContent = ""; cb.pre = null; cb.lines = []; cb.marked = null;
    var file = files[f];
    if (!file || file.text == null) {
      cb.body.appendChild(make("p", "none", (file ? file.name + ": " : "") + (words[lang].missing[file && file.missing] || words[lang].missing["not-found"])));
      return;
    }
    var pre = make("pre");
    file.text.split("\n").forEach(function (line, n) {
      var ln = make("span", "ln", line.replace(/\r$/, "") || " ");
      ln.setAttribute("data-n", String(n + 1));
      if (stepsAtLine[f + ":" + (n + 1)]) {
        ln.classList.add("has-call");
        ln.addEventListener("click", function () { var k = nextStepAt(f, n + 1); if (k >= 0) go(k); });
      }
      pre.appendChild(ln); cb.lines.push(ln);
    });
    cb.pre = pre; cb.body.appendChild(pre);
  }
  function renderCode() {
    var w = words[lang], holder = $("code"), s = steps[current];
    if (holder.childNodes.length !== data.participants.length) {
      holder.textContent = "";
      data.participants.forEach(function (p, i) { holder.appendChild(codeBox(i).box); });
    }
    data.participants.forEach(function (p, i) {
      var cb = codeBox(i), k = lastSourceStep(i, current), src = k >= 0 ? steps[k].src : null;
      cb.box.className = "program" + (i === s.p ? " acting" : "");
      text(cb.head, p.name + (src && src.f != null && files[src.f] ? " — " + files[src.f].name : ""));
      if (!src) { text(cb.where, w.noCall); cb.where.className = "where muted"; cb.body.textContent = ""; cb.file = null; return; }
      text(cb.where, (i === s.p && k === current ? "▶ " : w.lastLine + ": ") + siteLabel(src));
      cb.where.className = "where" + (i === s.p && k === current ? "" : " muted");
      if (src.f == null) { cb.body.textContent = ""; cb.file = null; return; }
      showFile(cb, src.f);
      if (cb.marked) cb.marked.classList.remove("current", "recent");
      cb.marked = cb.lines[src.l - 1] || null;
      if (cb.marked) {
        cb.marked.classList.add(k === current ? "current" : "recent");
        var r = cb.marked.offsetTop - cb.pre.offsetTop, h = cb.pre.clientHeight;
        if (r < cb.pre.scrollTop || r > cb.pre.scrollTop + h - 20) cb.pre.scrollTop = Math.max(0, r - h / 2);
      }
    });
  }

  // A long run's chart, drawn here a page of steps at a time (Graphviz draws only up to 400 calls):
  // a lane per process, a row per step, an arrow from each send to the receive that got its data
  // (to or from the page's edge when the other end is on another page). Everything is clickable.
  var PAGE = 150, pagedPage = -1, pagedMarks = {}, pagedChart = !!(steps[0] && steps[0].n);
  var toStep = {};
  steps.forEach(function (s, k) { (s.from || []).forEach(function (f) { (toStep[f] = toStep[f] || []).push(k); }); });
  var SVGNS = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, txt) {
    var e = document.createElementNS(SVGNS, tag);
    for (var a in attrs) e.setAttribute(a, String(attrs[a]));
    if (txt != null) e.textContent = txt;
    return e;
  }
  function drawPagedChart(page) {
    var w = words[lang], holder = $("chart");
    holder.textContent = "";
    pagedPage = page; pagedMarks = {};
    var lo = page * PAGE, hi = Math.min(total, lo + PAGE), pages = Math.ceil(total / PAGE);
    var nav = make("div", "chart-nav");
    var prev = make("button", null, w.prevPage), next = make("button", null, w.nextPage);
    prev.type = next.type = "button"; prev.disabled = page === 0; next.disabled = page >= pages - 1;
    prev.addEventListener("click", function () { go(lo - 1); });
    next.addEventListener("click", function () { go(hi); });
    nav.appendChild(prev);
    nav.appendChild(make("span", "muted", " " + w.chartSteps + " " + (lo + 1) + "–" + hi + " " + w.of + " " + total + " "));
    nav.appendChild(next);
    holder.appendChild(nav);
    var laneW = 230, rowH = 22, top = 40, left = 20, n = data.participants.length;
    var width = left * 2 + n * laneW, height = top + (hi - lo + 1) * rowH;
    var svg = svgEl("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, "class": "paged" });
    var defs = svgEl("defs", {}), marker = svgEl("marker", { id: "arrowhead", markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: "auto" });
    marker.appendChild(svgEl("path", { d: "M0,0 L8,4 L0,8 z", "class": "head" })); defs.appendChild(marker); svg.appendChild(defs);
    function laneX(p) { return left + p * laneW + laneW / 2; }
    function rowY(k) { return top + (k - lo) * rowH + rowH / 2; }
    data.participants.forEach(function (p, i) {
      svg.appendChild(svgEl("line", { x1: laneX(i), y1: top - 6, x2: laneX(i), y2: height, "class": "lifeline" }));
      svg.appendChild(svgEl("text", { x: laneX(i), y: 20, "text-anchor": "middle", "class": "lane" }, p.name));
    });
    function mark(k, g) { (pagedMarks[k] = pagedMarks[k] || []).push(g); g.setAttribute("data-step", String(k + 1)); }
    function arrow(x1, y1, x2, y2, label, k, dashed) {
      var g = svgEl("g", { "class": "edge" + (dashed ? " offpage" : "") });
      g.appendChild(svgEl("line", { x1: x1, y1: y1, x2: x2, y2: y2, "marker-end": "url(#arrowhead)" }));
      g.appendChild(svgEl("line", { x1: x1, y1: y1, x2: x2, y2: y2, "class": "hit" }));
      if (label) g.appendChild(svgEl("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, "text-anchor": "middle" }, label));
      g.addEventListener("click", function (e) { e.stopPropagation(); go(k); });
      mark(k, g); svg.appendChild(g);
    }
    for (var k = lo; k < hi; k++) {
      var s = steps[k], x = laneX(s.p), y = rowY(k);
      var label = s.m != null ? s.m + " (" + s.mb + " " + w.unit + ")" : "";
      (s.from || []).forEach(function (f) {
        var sender = steps[f];
        if (f >= lo) arrow(laneX(sender.p), rowY(f), x, y, label, k, false);
        else arrow(laneX(sender.p), top - 4, x, y, w.fromStep + " " + (f + 1) + (label ? ": " + label : ""), k, true);
      });
      (toStep[k] || []).forEach(function (r) {
        if (r >= hi) arrow(x, y, laneX(steps[r].p), height - 2, w.toStep + " " + (r + 1), r, true);
      });
    }
    for (var j = lo; j < hi; j++) {
      (function (k) {
        var s = steps[k], g = svgEl("g", { "class": "node" + (s.failed ? " failed" : "") });
        g.appendChild(svgEl("circle", { cx: laneX(s.p), cy: rowY(k), r: 4 }));
        // The label goes on the side away from the step's arrow, so the two never overlap.
        var partner = s.from && s.from.length ? steps[s.from[0]].p : toStep[k] ? steps[toStep[k][0]].p : s.p;
        var right = partner <= s.p;
        g.appendChild(svgEl("text", { x: laneX(s.p) + (right ? 8 : -8), y: rowY(k) + 4, "text-anchor": right ? "start" : "end" }, (k + 1) + " " + (s.n || "")));
        g.addEventListener("click", function () { go(k); });
        mark(k, g); svg.appendChild(g);
      })(j);
    }
    holder.appendChild(svg);
  }
  function renderPagedChart() {
    var page = Math.floor(current / PAGE);
    if (page !== pagedPage) drawPagedChart(page);
    $("chart").querySelectorAll("g.current").forEach(function (g) { g.classList.remove("current"); });
    var marked = pagedMarks[current] || [];
    marked.forEach(function (g) { g.classList.add("current"); });
    return marked;
  }

  // Kernel state the player models beyond the receive queues (descriptors, files, …): a table per
  // list and a row per field, each part and field under its label in the page's language
  // (data.kernelLabels; the export's tests check that every name has one).
  var kernelLabels = data.kernelLabels || {};
  function kernelLabel(key) { var l = kernelLabels[lang] || {}; return l[key] || kernelLabels.en && kernelLabels.en[key] || key; }
  function kernelValue(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v !== "object") return String(v);
    if (Array.isArray(v)) return v.length ? v.map(kernelValue).join(", ") : "—";
    return Object.keys(v).map(function (key) { return kernelLabel(key) + ": " + kernelValue(v[key]); }).join("; ");
  }
  function renderKernelExtra(holder, state) {
    Object.keys(state || {}).forEach(function (name) {
      var v = state[name], part = make("div", "kernel-extra");
      part.setAttribute("data-part", name);
      part.appendChild(make("h3", null, kernelLabel(name)));
      if (Array.isArray(v) && v.length && v.every(function (x) { return x && typeof x === "object" && !Array.isArray(x); })) {
        var cols = [];
        v.forEach(function (x) { Object.keys(x).forEach(function (c) { if (cols.indexOf(c) < 0) cols.push(c); }); });
        var table = make("table", "queues"), head = make("tr");
        cols.forEach(function (c) { head.appendChild(make("th", null, kernelLabel(c))); });
        table.appendChild(head);
        v.forEach(function (x) {
          var tr = make("tr");
          cols.forEach(function (c) { tr.appendChild(make("td", null, kernelValue(x[c]))); });
          table.appendChild(tr);
        });
        part.appendChild(table);
      } else if (v && typeof v === "object" && !Array.isArray(v)) {
        var t = make("table", "queues");
        Object.keys(v).forEach(function (key) { var tr = make("tr"); tr.appendChild(make("th", null, kernelLabel(key))); tr.appendChild(make("td", null, kernelValue(v[key]))); t.appendChild(tr); });
        part.appendChild(t);
      } else {
        part.appendChild(make("p", null, kernelValue(v)));
      }
      holder.appendChild(part);
    });
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
    var holder = $("chart"); holder.textContent = ""; pagedPage = -1;
    codeBoxes.forEach(function (cb) { cb.file = null; });
    var chart = loadChart(lang);
    if (chart) holder.appendChild(chart.svg); else if (!pagedChart) holder.appendChild(make("p", "muted", "—"));
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
    var extra = (lang === "en" && s.kernel_en) || s.kernel;
    text($("h-kernel"), extra ? w.kernelAll : w.kernel);
    if (extra) q.appendChild(make("h3", null, w.queuesTitle));
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
    renderKernelExtra(q, extra);
    // Consoles, one per process.
    var box = $("consoles"); box.textContent = "";
    data.participants.forEach(function (p, i) {
      var pane = make("div", "console" + (i === s.p ? " acting" : ""));
      pane.appendChild(make("div", "title", p.name));
      pane.appendChild(document.createTextNode(consoleLines(p.pid, current, 12).join("\n")));
      box.appendChild(pane);
    });
    // Code: each process's program, the line of its latest call marked.
    if (hasSources) renderCode();
    // The chart: the step's call and message highlighted.
    var chart = loadChart(lang), marked = null;
    if (chart) {
      chart.svg.querySelectorAll("g.current").forEach(function (g) { g.classList.remove("current"); });
      marked = chart.byStep[current] || [];
      marked.forEach(function (g) { g.classList.add("current"); });
    } else if (pagedChart) {
      marked = renderPagedChart();
    }
    if (marked) {
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
      if (s.src) li.appendChild(document.createTextNode(" [" + siteLabel(s.src) + "]"));
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
  if (!hasSources) { document.querySelector("section.code").hidden = true; $("main").classList.add("no-code"); }
  current = fromHash();
  renderChrome();
  render();
  root.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  root.setAttribute("data-ready", "true");
})();
