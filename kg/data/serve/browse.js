// Search as you type: ask /search (JSON) and list the answers, built with textContent only.
(function () {
  "use strict";
  var box = document.getElementById("kg-q");
  var list = document.getElementById("kg-suggestions");
  if (!box || !list) return;
  var asked = 0;
  window.kgSearch = { answered: 0 };
  function show(hits, number) {
    if (number !== asked) return; // an older answer arriving late
    while (list.firstChild) list.removeChild(list.firstChild);
    hits.forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/concept?iri=" + encodeURIComponent(hit.iri);
      link.textContent = hit.label;
      var kind = document.createElement("span");
      kind.className = "kind kind-" + String(hit.kind).replace(/[^a-z]/g, "");
      kind.textContent = hit.kind;
      link.appendChild(kind);
      item.appendChild(link);
      list.appendChild(item);
    });
    window.kgSearch.answered = number;
  }
  box.addEventListener("input", function () {
    var text = box.value.trim();
    var number = ++asked;
    if (!text) { show([], number); return; }
    fetch("/search?limit=12&q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { hits: [] }; })
      .then(function (answer) { show(answer.hits || [], number); })
      .catch(function () { show([], number); });
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && list.firstChild) { event.preventDefault(); list.firstChild.firstChild.focus(); }
  });
})();
