// Progressive enhancement of each facet's "Find" box: values of the whole facet within the
// current results, fetched from /api/facets/<facet>/ as the reader types. Without JavaScript
// the box submits to the facet's own page, which lists the same values.
(function () {
  "use strict";

  function item(value) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.className = "value";
    link.href = value.select_url;
    link.textContent = value.name;
    li.appendChild(link);
    if (!value.selected && !value.excluded) {
      var exclude = document.createElement("a");
      exclude.className = "exclude";
      exclude.href = value.exclude_url;
      exclude.textContent = "−";
      exclude.title = "Exclude " + value.name;
      exclude.setAttribute("aria-label", "Exclude " + value.name);
      li.appendChild(exclude);
    }
    var count = document.createElement("span");
    count.className = "count";
    count.textContent = value.count;
    li.appendChild(count);
    return li;
  }

  document.querySelectorAll("form.facet-search[data-api]").forEach(function (form) {
    var list = form.parentElement.querySelector("ul.facet-values");
    var original = Array.prototype.slice.call(list.children);
    var box = form.querySelector("input[name=contains]");
    var timer = null;
    var latest = 0;

    function show(nodes) {
      list.replaceChildren.apply(list, nodes);
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      var term = box.value.trim();
      if (!term) {
        show(original);
        return;
      }
      timer = setTimeout(function () {
        var asked = ++latest;
        var query = new URLSearchParams(new FormData(form));
        query.set("contains", term);
        fetch(form.dataset.api + "?" + query.toString(), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            if (asked !== latest) { return; }
            var nodes = (data.values || []).map(item);
            if (!nodes.length) {
              var none = document.createElement("li");
              none.className = "muted";
              none.textContent = data.error || "none in these results";
              nodes = [none];
            }
            show(nodes);
          })
          .catch(function () { form.submit(); });
      }, 200);
    });
  });
})();
