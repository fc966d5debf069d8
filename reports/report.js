/* kfdoctor report: builds the findings from the embedded JSON with textContent only. */
(function () {
  "use strict";
  var STATUS = ["fail", "error", "warn", "skip", "pass"];
  var CHANGES = ["new", "unchanged", "resolved"];
  var PAGE = 250;
  var node = document.getElementById("kfdoctor-data");
  var data = JSON.parse(node.textContent);
  var rows = data.rows, docs = data.docs || {}, diff = data.mode === "diff";
  var results = document.getElementById("results");
  var more = document.getElementById("more");
  var shown = document.getElementById("shown");
  var form = document.getElementById("filters");
  var search = document.getElementById("search");
  var limit = PAGE, matching = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function resourceLabel(r) {
    var res = r.resource || {};
    return (res.kind || "?") + " " + (res.namespace ? res.namespace + "/" : "") + (res.name || "?");
  }
  function haystack(r) {
    if (r._hay === undefined) {
      r._hay = [r.check, r.area, r.severity, r.status, resourceLabel(r), r.message, r.cause || "",
                (docs[r.check] || {}).title || "", JSON.stringify(r.evidence || {}),
                r.suppressed ? "suppressed " + (r.suppressed.reason || "") : ""].join("\n").toLowerCase();
    }
    return r._hay;
  }
  function checked(name) {
    var set = {};
    form.querySelectorAll("input[name=" + name + "]").forEach(function (i) { set[i.value] = i.checked; });
    return set;
  }
  function apply() {
    var st = checked("status"), ar = checked("area"), sv = checked("severity"), ch = checked("change");
    var showSuppressed = checked("suppressed").show;
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    matching = rows.filter(function (r) {
      if (!st[r.status] || ar[r.area] === false || sv[r.severity] === false) { return false; }
      if (diff && !ch[r.change]) { return false; }
      if (r.suppressed && !showSuppressed) { return false; }
      if (words.length) {
        var h = haystack(r);
        for (var i = 0; i < words.length; i++) { if (h.indexOf(words[i]) < 0) { return false; } }
      }
      return true;
    });
    limit = PAGE;
    draw();
  }
  function groupsOf(list) {
    var groups = [];
    if (diff) {
      CHANGES.forEach(function (c) {
        groups.push({title: c === "new" ? "New problems" : c === "resolved" ? "Resolved" : "Unchanged problems",
                     rows: list.filter(function (r) { return r.change === c; })});
      });
    } else {
      groups.push({title: "Failures and warnings", rows: list.filter(function (r) { return STATUS.indexOf(r.status) < 3; })});
      groups.push({title: "Passed and skipped", rows: list.filter(function (r) { return STATUS.indexOf(r.status) >= 3; })});
    }
    return groups.filter(function (g) { return g.rows.length; });
  }
  function byArea(list) {
    var areas = {}, order = [];
    list.forEach(function (r) {
      if (!areas[r.area]) { areas[r.area] = []; order.push(r.area); }
      areas[r.area].push(r);
    });
    order.sort(function (a, b) {
      var wa = Math.min.apply(null, areas[a].map(function (r) { return STATUS.indexOf(r.status); }));
      var wb = Math.min.apply(null, areas[b].map(function (r) { return STATUS.indexOf(r.status); }));
      return wa - wb || (a < b ? -1 : a > b ? 1 : 0);
    });
    return order.map(function (a) { return {area: a, rows: areas[a]}; });
  }
  function fillBody(body, r) {
    var doc = docs[r.check] || {};
    var p = el("p");
    p.appendChild(el("strong", null, doc.title || r.check));
    body.appendChild(p);
    if (diff && r.before_status) { body.appendChild(el("p", null, "Before: " + r.before_status + ", now: " + r.status)); }
    if (r.cause) {
      var c = el("p", null, "Cause: ");
      var a = el("a", "cause", r.cause);
      a.setAttribute("href", "#check-" + r.cause);
      c.appendChild(a);
      body.appendChild(c);
    }
    if (r.suppressed) {
      var s = r.suppressed, why = "Suppressed";
      if (s.reason) { why += ": " + s.reason; }
      Object.keys(s).forEach(function (k) { if (k !== "reason") { why += " (" + k + " " + s[k] + ")"; } });
      body.appendChild(el("p", "suppressed-reason", why));
    }
    if (r.evidence && Object.keys(r.evidence).length) {
      body.appendChild(el("h4", null, "Evidence"));
      body.appendChild(el("pre", "evidence", JSON.stringify(r.evidence, null, 2)));
    }
    if (doc.why) { body.appendChild(el("h4", null, "Why it matters")); body.appendChild(el("div", "pre why", doc.why)); }
    if (doc.fix) { body.appendChild(el("h4", null, "Manual fix")); body.appendChild(el("div", "pre fix", doc.fix)); }
    body.appendChild(el("p", "fixable-note", r.fixable ? "kfdoctor can fix it: kfdoctor fix " + r.check
      : "kfdoctor cannot fix it automatically: follow the manual fix."));
  }
  function findingElement(r) {
    var d = el("details", "finding status-row-" + r.status + (r.suppressed ? " is-suppressed" : ""));
    d.setAttribute("data-status", r.status);
    d.setAttribute("data-area", r.area);
    d.setAttribute("data-severity", r.severity);
    var s = el("summary");
    var badge = el("span", "badge status-" + r.status, diff ? r.change + " " + r.status : r.status);
    s.appendChild(badge);
    s.appendChild(el("span", "sev", r.severity));
    s.appendChild(el("span", "check", r.check));
    s.appendChild(el("span", "resource", resourceLabel(r)));
    var m = el("span", "message", r.message);
    if (r.suppressed) { m.appendChild(el("span", "flag suppressed", "suppressed")); }
    if (r.fixable) { m.appendChild(el("span", "flag fixable", "fixable")); }
    s.appendChild(m);
    d.appendChild(s);
    var body = el("div", "body");
    d.appendChild(body);
    d.addEventListener("toggle", function () {
      if (d.open && !body.firstChild) { fillBody(body, r); }
    });
    return d;
  }
  function draw() {
    var frag = document.createDocumentFragment(), budget = limit;
    groupsOf(matching).forEach(function (g) {
      if (budget <= 0) { return; }
      var sec = el("section", "group");
      sec.appendChild(el("h3", null, g.title + " (" + g.rows.length + ")"));
      byArea(g.rows).forEach(function (a) {
        if (budget <= 0) { return; }
        var box = el("div", "area");
        box.setAttribute("data-area", a.area);
        box.appendChild(el("h4", null, a.area + " (" + a.rows.length + ")"));
        a.rows.slice(0, budget).forEach(function (r) { box.appendChild(findingElement(r)); });
        budget -= a.rows.length;
        sec.appendChild(box);
      });
      frag.appendChild(sec);
    });
    results.textContent = "";
    results.appendChild(frag);
    var visible = Math.min(limit, matching.length);
    shown.textContent = "Showing " + visible + " of " + matching.length + " matching findings (" + rows.length + " in all).";
    more.hidden = matching.length <= limit;
    more.textContent = "Show " + Math.min(PAGE * 4, matching.length - limit) + " more";
    document.body.setAttribute("data-shown", String(visible));
    document.body.setAttribute("data-matching", String(matching.length));
  }
  var timer = null;
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  more.addEventListener("click", function () { limit += PAGE * 4; draw(); });
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a.cause") : null;
    if (a) { var t = document.getElementById(a.getAttribute("href").slice(1)); if (t) { t.scrollIntoView(); } }
  });
  apply();
  document.body.setAttribute("data-ready", "true");
}());
