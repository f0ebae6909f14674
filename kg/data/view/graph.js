/* kg view: draws the embedded concept network with vis-network and wires the search box,
   the area filter, the legend and the tooltips.
   Every piece of page text reaches the DOM through textContent or a text node, never as
   markup: a description that holds <script> or <img onerror> shows as those characters. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var INK = "#1f2933";
  var DIM = "rgba(203, 210, 217, 0.45)";
  var DIM_TEXT = "#c5ccd3";
  var kindColor = {};
  data.kinds.forEach(function (k) { kindColor[k.kind] = k.color; });
  var relationStyle = {};
  data.relations.forEach(function (r) { relationStyle[r.relation] = r; });
  var byId = new Map();
  data.nodes.forEach(function (n) { byId.set(n.id, n); n.key = normal(n.label); });

  function normal(text) { return String(text).replace(/\s+/g, " ").trim().toLowerCase(); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function isWebUrl(url) { return typeof url === "string" && /^https?:\/\//i.test(url); }

  function tooltip(n) {
    var box = element("div", "kg-tip");
    box.appendChild(element("div", "kg-tip-label", n.label));
    var kind = element("span", "kg-tip-kind", n.kind);
    kind.style.background = kindColor[n.kind];
    box.appendChild(kind);
    if (n.question) box.appendChild(element("p", "kg-tip-def", n.question));
    if (n.definition) box.appendChild(element("p", "kg-tip-def", n.definition));
    if (n.url) box.appendChild(element("div", "kg-tip-url", n.url));
    if (n.sources.length) {
      var more = n.more_sources ? " and " + n.more_sources + " more" : "";
      box.appendChild(element("div", "kg-tip-src", "asserted by " + n.sources.join(", ") + more));
    }
    return box;
  }

  function nodeStyle(n) {
    var color = kindColor[n.kind];
    return {
      id: n.id,
      color: { background: color, border: color, highlight: { background: color, border: INK },
               hover: { background: color, border: INK } },
      font: { color: INK }
    };
  }

  function dimmedStyle(n) {
    return { id: n.id, color: { background: DIM, border: DIM }, font: { color: DIM_TEXT } };
  }

  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var item = nodeStyle(n);
    item.label = n.label;
    item.title = tooltip(n);
    item.value = n.rank;
    if (n.x !== undefined) { item.x = n.x; item.y = n.y; }
    return item;
  }));

  var edges = new vis.DataSet(data.edges.map(function (e, index) {
    var style = relationStyle[e.relation];
    return {
      id: index, from: e.from, to: e.to, title: e.relation,
      color: { color: style.color, highlight: INK, hover: INK, opacity: style.opacity },
      dashes: style.dashes, width: style.width,
      arrows: { to: { enabled: style.arrow, scaleFactor: 0.45 } }
    };
  }));

  var big = !data.physics;
  var options = {
    autoResize: true,
    nodes: {
      shape: "dot", borderWidth: 1.5, borderWidthSelected: 3,
      scaling: { min: 7, max: 34, label: { enabled: true, min: 16, max: 26, drawThreshold: 6, maxVisible: 30 } },
      font: { size: 14, face: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", color: INK,
              strokeWidth: 4, strokeColor: "#ffffff" }
    },
    edges: { smooth: big ? false : { type: "continuous", roundness: 0.3 }, selectionWidth: 1.5, hoverWidth: 0.6 },
    layout: { improvedLayout: false, randomSeed: 7 },
    physics: data.physics ? {
      solver: "forceAtlas2Based",
      forceAtlas2Based: { gravitationalConstant: -130, centralGravity: 0.006, springLength: 150, springConstant: 0.05, avoidOverlap: 0.9 },
      stabilization: { enabled: true, iterations: 300, updateInterval: 50, fit: true }
    } : false,
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big, multiselect: false }
  };

  var container = document.getElementById("kg-network");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  var status = document.getElementById("kg-status");
  var kg = window.kg = { network: network, nodes: nodes, edges: edges, data: data, ready: false, readyAt: null,
                         draws: 0, focusConcept: focusConcept, filterArea: filterArea };

  network.on("afterDrawing", function () { kg.draws += 1; });

  function markReady() {
    if (kg.ready) return;
    kg.ready = true;
    kg.readyAt = performance.now();
    document.documentElement.setAttribute("data-ready", "true");
  }

  if (data.physics) {
    // Refine the Python layout before the first frame, then freeze it: the page goes idle
    // and a dragged node stays where it is put.
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: false });
      network.once("afterDrawing", markReady);
      network.redraw();
    });
  } else {
    network.once("afterDrawing", markReady);
    network.redraw();
  }

  // -- highlighting a concept and its neighbours ------------------------------------------
  var highlighted = null;

  function highlight(id) {
    var keep = new Set(network.getConnectedNodes(id));
    keep.add(id);
    nodes.update(data.nodes.map(function (n) { return keep.has(n.id) ? nodeStyle(n) : dimmedStyle(n); }));
    highlighted = id;
  }

  function clearHighlight() {
    if (highlighted === null) return;
    nodes.update(data.nodes.map(nodeStyle));
    highlighted = null;
  }

  function say(text) { status.textContent = text; }

  network.on("click", function (params) {
    if (!params.nodes.length) { clearHighlight(); say(""); return; }
    var n = byId.get(params.nodes[0]);
    highlight(n.id);
    say(n.label + " (" + n.kind + ")");
    if (isWebUrl(n.url)) window.open(n.url, "_blank", "noopener,noreferrer");
  });

  // -- search -------------------------------------------------------------------------------
  function mostCentral(list) {
    return list.reduce(function (best, n) { return !best || n.rank > best.rank ? n : best; }, null);
  }

  function findConcept(text) {
    var wanted = normal(text);
    if (!wanted) return null;
    var tests = [
      function (n) { return n.key === wanted; },
      function (n) { return n.key.indexOf(wanted) === 0; },
      function (n) { return n.key.indexOf(wanted) >= 0; }
    ];
    for (var i = 0; i < tests.length; i++) {
      var found = mostCentral(data.nodes.filter(tests[i]));
      if (found) return found;
    }
    return null;
  }

  function focusConcept(text) {
    var n = findConcept(text);
    if (!n) { say("No concept matches \u201c" + text + "\u201d"); return null; }
    if (nodes.get(n.id).hidden) { areaSelect.value = ""; filterArea(null); }
    network.selectNodes([n.id]);
    highlight(n.id);
    network.focus(n.id, { scale: Math.max(network.getScale(), 1.2),
                          animation: { duration: 450, easingFunction: "easeInOutQuad" } });
    say(n.label + " (" + n.kind + ")");
    return n.id;
  }

  var search = document.getElementById("kg-search");
  var labelList = document.getElementById("kg-labels");
  Array.from(new Set(data.nodes.map(function (n) { return n.label; }))).sort().forEach(function (label) {
    var option = document.createElement("option");
    option.value = label;
    labelList.appendChild(option);
  });
  document.getElementById("kg-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    focusConcept(search.value);
  });
  search.addEventListener("input", function (event) {
    // Picking a suggestion from the list is an input event without a typed character.
    if (!event.inputType || event.inputType === "insertReplacementText") focusConcept(search.value);
  });

  // -- area filter --------------------------------------------------------------------------
  var areaSelect = document.getElementById("kg-area");
  var areas = data.nodes.filter(function (n) { return n.kind === "area"; })
    .sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
  areas.forEach(function (n) {
    var option = document.createElement("option");
    option.value = String(n.id);
    option.textContent = n.label;
    areaSelect.appendChild(option);
  });
  if (!areas.length) document.getElementById("kg-area-label").hidden = true;

  function filterArea(areaId) {
    clearHighlight();
    nodes.update(data.nodes.map(function (n) {
      return { id: n.id, hidden: areaId !== null && n.areas.indexOf(areaId) < 0 };
    }));
    var fit = { animation: { duration: 400, easingFunction: "easeInOutQuad" } };
    if (areaId !== null) {
      fit.nodes = data.nodes.filter(function (n) { return n.areas.indexOf(areaId) >= 0; }).map(function (n) { return n.id; });
    }
    network.fit(fit);
  }

  areaSelect.addEventListener("change", function () {
    filterArea(areaSelect.value === "" ? null : Number(areaSelect.value));
  });

  // -- header, note and legend --------------------------------------------------------------
  document.getElementById("kg-title").textContent = data.title;
  document.getElementById("kg-counts").textContent =
    data.nodes.length.toLocaleString("en") + " concepts \u00b7 " + data.edges.length.toLocaleString("en") + " relations";
  if (data.note) {
    var note = document.getElementById("kg-note");
    note.textContent = data.note;
    note.hidden = false;
  }
  var kindList = document.getElementById("kg-kinds");
  data.kinds.forEach(function (k) {
    var row = element("li");
    var swatch = element("span", "kg-swatch");
    swatch.style.background = k.color;
    row.appendChild(swatch);
    row.appendChild(element("span", null, k.kind));
    row.appendChild(element("span", "kg-count", k.count.toLocaleString("en")));
    kindList.appendChild(row);
  });
  var relationList = document.getElementById("kg-relations");
  data.relations.forEach(function (r) {
    var row = element("li");
    var stroke = element("span", "kg-stroke");
    stroke.style.borderTop = Math.max(2, r.width) + "px " + (r.dashes ? (r.dashes[0] <= 2 ? "dotted" : "dashed") : "solid") + " " + r.color;
    row.appendChild(stroke);
    row.appendChild(element("span", null, r.relation + (r.arrow ? " \u2192" : "")));
    row.appendChild(element("span", "kg-count", r.count.toLocaleString("en")));
    relationList.appendChild(row);
  });
})();
