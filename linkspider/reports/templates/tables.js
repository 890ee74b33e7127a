(function () {
"use strict";
var doc = document;
doc.documentElement.classList.add("js");
function value(row, i, numeric) {
  var cell = row.cells[i];
  var raw = cell ? cell.getAttribute("data-v") : "";
  if (raw === null) { raw = cell.textContent.trim(); }
  if (!numeric) { return raw.toLowerCase(); }
  var n = parseFloat(raw);
  return isNaN(n) ? -Infinity : n;
}
function sortBy(table, th, i) {
  var numeric = th.classList.contains("num");
  var now = th.getAttribute("aria-sort");
  var dir = now === "descending" ? "ascending" : now === "ascending" ? "descending" :
    numeric ? "descending" : "ascending";
  table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
  th.setAttribute("aria-sort", dir);
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var sign = dir === "ascending" ? 1 : -1;
  rows.sort(function (a, b) {
    var x = value(a, i, numeric), y = value(b, i, numeric);
    if (x < y) { return -sign; }
    if (x > y) { return sign; }
    return a.getAttribute("data-i") - b.getAttribute("data-i");
  });
  rows.forEach(function (r) { body.appendChild(r); });
}
function filter(table, input, count) {
  var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
  var rows = table.tBodies[0].rows, shown = 0;
  for (var k = 0; k < rows.length; k++) {
    var text = rows[k].textContent.toLowerCase();
    var keep = terms.every(function (t) { return text.indexOf(t) >= 0; });
    rows[k].hidden = !keep;
    if (keep) { shown++; }
  }
  count.textContent = terms.length ? shown + " of " + rows.length + " rows" : "";
}
var hints = [];
function showHints() {
  hints.forEach(function (h) {
    h[1].classList.toggle("on", h[0].scrollWidth > h[0].clientWidth + 1);
  });
}
doc.querySelectorAll("table.data").forEach(function (table) {
  var wrap = table.parentNode, box = wrap.parentNode, rows = table.tBodies[0].rows;
  for (var k = 0; k < rows.length; k++) { rows[k].setAttribute("data-i", k); }
  table.querySelectorAll("thead th").forEach(function (th, i) {
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.title = "Sort by this column";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(table, th, i); });
  });
  if (rows.length > FILTER_MIN) {
    var bar = doc.createElement("div"), input = doc.createElement("input");
    var count = doc.createElement("span");
    bar.className = "table-filter";
    input.type = "search";
    input.placeholder = "Filter " + rows.length + " rows";
    input.setAttribute("aria-label", "Filter the rows of this table");
    count.className = "muted";
    count.setAttribute("aria-live", "polite");
    bar.appendChild(input);
    bar.appendChild(count);
    box.insertBefore(bar, wrap);
    input.addEventListener("input", function () { filter(table, input, count); });
  }
  var hint = box.querySelector(".scroll-hint");
  if (hint) { hints.push([wrap, hint]); }
});
showHints();
window.addEventListener("resize", showHints);
doc.addEventListener("toggle", showHints, true);
window.addEventListener("beforeprint", function () {
  doc.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
})();
