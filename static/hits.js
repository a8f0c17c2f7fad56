// Steps through the searched words marked in an article (<mark class="hit" id="hit-N">).
// Without JavaScript the links still go to the first match.
(function () {
  const bar = document.querySelector(".hit-steps");
  if (!bar) return;
  const total = Number(bar.dataset.hits);
  const at = bar.querySelector(".hit-at");
  let current = 0;
  function show(number) {
    current = ((number - 1 + total) % total) + 1;
    const hit = document.getElementById("hit-" + current);
    document.querySelectorAll("mark.hit.current").forEach((m) => m.classList.remove("current"));
    hit.classList.add("current");
    hit.scrollIntoView({ block: "center" });
    at.textContent = current + " of " + total;
    history.replaceState(null, "", "#hit-" + current);
  }
  bar.querySelectorAll(".hit-step").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      show(current + Number(link.dataset.step));
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    if (event.key === "n") show(current + 1);
    if (event.key === "p") show(current - 1);
  });
})();
