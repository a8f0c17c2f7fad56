// A range of dates in one gesture: press on one bar of the date chart, drag to another and
// let go; the search narrows to the days from the first bar's start to the last bar's end.
// A plain click (or a tap, or Enter on a focused bar) still follows that bar's own link, and
// the date boxes remain the way to type a range.
(function () {
  "use strict";
  var chart = document.querySelector("ol.bars.linked");
  if (!chart) return;
  var bars = Array.prototype.slice.call(chart.querySelectorAll("a[href]"));
  var from = null;
  var to = null;

  function barAt(event) {
    var under = document.elementFromPoint(event.clientX, event.clientY);
    var link = under && under.closest("ol.bars.linked a[href]");
    return link ? bars.indexOf(link) : -1;
  }

  function mark() {
    var low = from === null ? -1 : Math.min(from, to);
    var high = from === null ? -1 : Math.max(from, to);
    bars.forEach(function (bar, index) {
      bar.classList.toggle("in-range", index >= low && index <= high);
    });
  }

  function rangeUrl(first, last) {
    var url = new URL(bars[first].href);
    var end = new URL(bars[last].href).searchParams.get("date_to");
    url.searchParams.set("date_to", end);
    url.searchParams.delete("page");
    return url.toString();
  }

  chart.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    var index = barAt(event);
    if (index < 0) return;
    from = to = index;
    event.preventDefault(); // no text selection or link drag while choosing
    mark();
  });
  chart.addEventListener("pointermove", function (event) {
    if (from === null) return;
    var index = barAt(event);
    if (index >= 0 && index !== to) {
      to = index;
      mark();
    }
  });
  document.addEventListener("pointerup", function () {
    if (from === null) return;
    var low = Math.min(from, to);
    var high = Math.max(from, to);
    from = to = null;
    if (low === high) {
      mark();
      return; // a click: the bar's own link
    }
    chart.classList.add("choosing");
    window.location.assign(rangeUrl(low, high));
  });
  // A finger that scrolls the page is not choosing dates (phones scroll; taps still work).
  chart.addEventListener("pointercancel", function () {
    from = to = null;
    mark();
  });
  chart.addEventListener("click", function (event) {
    // The click that ends a drag must not also follow the bar under the pointer.
    if (chart.classList.contains("choosing")) event.preventDefault();
  });
  chart.setAttribute("data-drag", "ready");
})();
