/* kg view, overview: a large concept network as clusters of communities to open.
   The first screen is the top clusters (laid out by kg, see kg/overview.py); the whole
   network (labels, IRIs, kinds, relations) arrives in one compressed block that is
   unpacked after the first frame. Opening a cluster draws its sub-clusters or its
   concepts inside it and the relations of what is open: between two drawn concepts the
   relation itself, otherwise one link per pair of drawn items weighted by how many
   relations it stands for. Every piece of page text reaches the DOM through textContent
   or a text node, never as markup. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var clusters = data.clusters;
  var INK = "#1f2933";
  var HUES = ["#2f6fb3", "#d1495b", "#2a9d8f", "#e09f3e", "#8e6cc0", "#66a182", "#b5838d", "#457b9d",
              "#c8553d", "#588157", "#9c6644", "#3d5a80", "#bc4749", "#6a994e", "#7b2cbf", "#f28482",
              "#1d7874", "#a47148", "#5e548e", "#d08c60"];
  var LINK = "rgba(110, 122, 135, 0.16)";
  var LINK_STRONG = "rgba(52, 62, 72, 0.85)";
  var GOLDEN = Math.PI * (3 - Math.sqrt(5));
  var LINKS_PER_CLUSTER = 3;   // links drawn from a cluster: its strongest few
  var LEAF_LABELS = 12;        // concepts labelled in an opened cluster; the rest on hover
  var CHILD_SPACING = 120;     // room for a sub-cluster and its label
  var LABELLED_SPACING = 80;   // room for a labelled concept
  var CONCEPT_SPACING = 22;    // room for any other concept
  var kindColor = {};
  data.kinds.forEach(function (k) { kindColor[k.kind] = k.color; });

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function normal(text) { return String(text).replace(/\s+/g, " ").trim().toLowerCase(); }
  function isWebUrl(url) { return typeof url === "string" && /^https?:\/\//i.test(url); }
  function number(n) { return n.toLocaleString("en"); }
  function faint(hex, alpha) {
    var v = parseInt(hex.slice(1), 16);
    return "rgba(" + (v >> 16) + ", " + ((v >> 8) & 255) + ", " + (v & 255) + ", " + alpha + ")";
  }
  function mix(hex, share) {  // hex blended with white, opaque: links stay behind a cluster
    var v = parseInt(hex.slice(1), 16), out = "#";
    [v >> 16, (v >> 8) & 255, v & 255].forEach(function (channel) {
      out += ("0" + Math.round(channel * share + 255 * (1 - share)).toString(16)).slice(-2);
    });
    return out;
  }
  function hueOf(c) { return HUES[clusters[c].hue % HUES.length]; }
  function size(c) { return clusters[c].end - clusters[c].start; }

  // -- the network, unpacked from its block ---------------------------------------------------
  var net = null;  // labels, iris, kinds, order, heads, tails, codes, adjacency, owner ...
  var loaded = inflate("kg-network-data").then(unpack).then(function (found) { net = found; return found; });
  // IRIs are needed only for tooltips and links: a second block, unpacked after the first.
  var iris = loaded.then(function () { return inflate("kg-network-iris"); }).then(function (buffer) {
    net.iris = new TextDecoder().decode(new Uint8Array(buffer)).split("\n");
    return net.iris;
  });

  function base64Bytes(text) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
    var binary = atob(text), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function inflate(id) {
    var bytes = base64Bytes(document.getElementById(id).textContent.trim());
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }

  function unpack(buffer) {
    {
      var part = {};
      data.sections.forEach(function (s) {
        var name = s[0], kind = s[1], offset = s[2], length = s[3];
        if (kind === "json") part[name] = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, offset, length)));
        else if (kind === "u8") part[name] = new Uint8Array(buffer, offset, length);
        else if (kind === "u32") part[name] = new Uint32Array(buffer, offset, length / 4);
        else part[name] = new Int32Array(buffer, offset, length / 4);
      });
      var n = part.labels.length, m = part.ends.length;
      var heads = new Int32Array(m), tails = new Int32Array(m), degree = new Int32Array(n + 1);
      var r = 0;
      for (var h = 0; h < n; h++) {
        var previous = 0;
        for (var j = 0; j < part.starts[h]; j++, r++) {
          var t = j === 0 ? part.ends[r] : previous + part.ends[r];
          heads[r] = h; tails[r] = t; previous = t;
          degree[h + 1]++; degree[t + 1]++;
        }
      }
      for (var i = 0; i < n; i++) degree[i + 1] += degree[i];
      var fill = degree.slice(0, n), incident = new Int32Array(2 * m);
      for (r = 0; r < m; r++) { incident[fill[heads[r]]++] = r; incident[fill[tails[r]]++] = r; }
      var owner = new Int32Array(n).fill(-1), position = new Int32Array(n), leafAt = new Int32Array(n);
      for (var p = 0; p < n; p++) position[part.order[p]] = p;
      clusters.forEach(function (c, index) {
        if (!c.children.length) leafAt.fill(index, c.start, c.end);
      });
      data.top.forEach(function (c) { fillOwner(owner, part.order, c); });
      return { labels: part.labels, iris: null, kinds: part.kinds, order: part.order, heads: heads, tails: tails,
               codes: part.relations, offsets: degree, incident: incident, owner: owner, position: position,
               leafAt: leafAt, stamp: new Int32Array(m), tick: 0, keys: null };
    }
  }

  function fillOwner(owner, order, c) {
    for (var p = clusters[c].start; p < clusters[c].end; p++) owner[order[p]] = c;
  }

  // -- what is drawn ---------------------------------------------------------------------------
  var nodes = new vis.DataSet();
  var edges = new vis.DataSet();
  var edgesOf = new Map();   // drawn item id -> Set of edge ids
  var endsOf = new Map();    // edge id -> [item id, item id]
  var centerOf = {};         // cluster -> where it was drawn before it opened
  var opened = [];           // clusters open, in the order they were opened
  var hiddenLabels = new Set();

  function clusterId(c) { return "c" + c; }
  function itemOf(k) { var c = net.owner[k]; return c >= 0 ? clusterId(c) : k; }

  function clusterTooltip(c) {
    var cl = clusters[c], box = element("div", "kg-tip");
    box.appendChild(element("div", "kg-tip-label", cl.bundle ? cl.bundle + " smaller communities" : "Community of " + cl.names[0]));
    var what = number(size(c)) + " concepts" + (cl.children.length ? " in " + cl.children.length + " clusters" : "");
    box.appendChild(element("p", "kg-tip-def", what));
    box.appendChild(element("div", "kg-tip-src", "most central: " + cl.names.join(", ")));
    box.appendChild(element("div", "kg-tip-src", "Click to open."));
    return box;
  }

  function clusterNode(c, x, y, radius) {
    var color = hueOf(c);
    return {
      id: clusterId(c), x: x, y: y, size: radius, label: clusters[c].label, title: clusterTooltip(c),
      shape: "dot", borderWidth: 3,
      color: { background: mix(color, 0.35), border: color,
               highlight: { background: mix(color, 0.55), border: INK }, hover: { background: mix(color, 0.55), border: INK } },
      font: { size: 14, color: INK, multi: false }
    };
  }

  function conceptTooltip(k) {
    var kind = data.kinds[net.kinds[k]].kind, box = element("div", "kg-tip");
    box.appendChild(element("div", "kg-tip-label", net.labels[k]));
    var badge = element("span", "kg-tip-kind", kind);
    badge.style.background = kindColor[kind];
    box.appendChild(badge);
    var more = data.details[k];
    if (more && more.question) box.appendChild(element("p", "kg-tip-def", more.question));
    if (more && more.definition) box.appendChild(element("p", "kg-tip-def", more.definition));
    var url = conceptUrl(k);
    if (url) box.appendChild(element("div", "kg-tip-url", url));
    if (more && more.sources.length) {
      var also = more.more_sources ? " and " + more.more_sources + " more" : "";
      box.appendChild(element("div", "kg-tip-src", "asserted by " + more.sources.join(", ") + also));
    }
    return box;
  }

  function conceptUrl(k) {
    var more = data.details[k];
    if (more && more.url) return more.url;
    return net.iris && isWebUrl(net.iris[k]) ? net.iris[k] : null;
  }

  function conceptNode(k, x, y, labelled, c) {
    var kind = data.kinds[net.kinds[k]].kind, color = kindColor[kind], border = hueOf(c);
    return {
      id: k, x: x, y: y, size: labelled ? 9 : 6, label: labelled ? net.labels[k] : "", title: conceptTooltip(k),
      shape: "dot", borderWidth: 2,
      color: { background: color, border: border, highlight: { background: color, border: INK },
               hover: { background: color, border: INK } },
      font: { size: 13, color: INK }
    };
  }

  function relationEdge(r) {
    var style = data.relations[net.codes[r]];
    return {
      id: "r" + r, from: net.heads[r], to: net.tails[r], title: style.relation,
      color: { color: faint(style.color, 0.22), highlight: style.color, hover: style.color, opacity: 1 },
      dashes: style.dashes, width: style.width,
      arrows: { to: { enabled: style.arrow, scaleFactor: 0.45 } }
    };
  }

  function linkEdge(a, b, count) {
    return {
      id: "l" + a + "|" + b, from: a, to: b, title: number(count) + (count === 1 ? " relation" : " relations"),
      color: { color: LINK, highlight: LINK_STRONG, hover: LINK_STRONG, opacity: 1 },
      width: Math.min(1 + Math.log(count) * 0.9, 9), dashes: false, arrows: { to: { enabled: false } }
    };
  }

  function remember(edge) {
    endsOf.set(edge.id, [edge.from, edge.to]);
    [edge.from, edge.to].forEach(function (end) {
      if (!edgesOf.has(end)) edgesOf.set(end, new Set());
      edgesOf.get(end).add(edge.id);
    });
  }

  function removeItems(ids) {
    var gone = new Set();
    ids.forEach(function (id) {
      (edgesOf.get(id) || new Set()).forEach(function (e) { gone.add(e); });
      edgesOf.delete(id);
    });
    gone.forEach(function (e) {
      endsOf.get(e).forEach(function (end) { if (edgesOf.has(end)) edgesOf.get(end).delete(e); });
      endsOf.delete(e);
    });
    edges.remove(Array.from(gone));
    nodes.remove(ids);
  }

  // The relations touching the concepts at positions start..end of the cluster order, drawn
  // between the items that now hold their ends.
  function link(start, end) {
    var tick = ++net.tick, found = [], links = new Map();
    for (var p = start; p < end; p++) {
      var k = net.order[p];
      for (var i = net.offsets[k]; i < net.offsets[k + 1]; i++) {
        var r = net.incident[i];
        if (net.stamp[r] === tick) continue;
        net.stamp[r] = tick;
        var a = itemOf(net.heads[r]), b = itemOf(net.tails[r]);
        if (a === b) continue;
        if (typeof a === "number" && typeof b === "number") { found.push(relationEdge(r)); continue; }
        // A concept's relations into closed clusters are drawn while it is hovered or selected.
        if (typeof a === "number" || typeof b === "number") continue;
        var key = String(a) < String(b) ? [a, b] : [b, a], name = key[0] + "|" + key[1];
        var entry = links.get(name);
        if (entry) entry[2] += 1; else links.set(name, [key[0], key[1], 1]);
      }
    }
    strongest(Array.from(links.values())).forEach(function (l) { found.push(linkEdge(l[0], l[1], l[2])); });
    found.forEach(remember);
    edges.add(found);
  }

  // Each cluster's few strongest links, strength being relations over the geometric mean of
  // the two sizes (as kg/overview.py chooses the first screen's).
  function itemSize(id) { return typeof id === "number" ? 1 : size(Number(id.slice(1))); }
  function strongest(links) {
    var taken = new Map(), kept = [];
    links.forEach(function (l) { l.push(l[2] / Math.sqrt(itemSize(l[0]) * itemSize(l[1]))); });
    links.sort(function (x, y) { return y[3] - x[3] || (String(x[0]) + String(x[1]) < String(y[0]) + String(y[1]) ? -1 : 1); });
    links.forEach(function (l) {
      var a = taken.get(l[0]) || 0, b = taken.get(l[1]) || 0;
      if (a < LINKS_PER_CLUSTER || b < LINKS_PER_CLUSTER) { kept.push(l); taken.set(l[0], a + 1); taken.set(l[1], b + 1); }
    });
    return kept;
  }

  // The relations of one drawn concept into clusters, while it is hovered or selected.
  var reach = [];
  function showReach(k) {
    hideReach();
    var counts = new Map();
    for (var i = net.offsets[k]; i < net.offsets[k + 1]; i++) {
      var r = net.incident[i], other = net.heads[r] === k ? net.tails[r] : net.heads[r], b = itemOf(other);
      if (typeof b === "string") counts.set(b, (counts.get(b) || 0) + 1);
    }
    counts.forEach(function (count, b) {
      var edge = linkEdge(k, b, count);
      edge.id = "h" + k + "|" + b;
      edge.color = { color: LINK_STRONG, highlight: LINK_STRONG, hover: LINK_STRONG, opacity: 1 };
      reach.push(edge.id);
      edges.add(edge);
    });
  }
  function hideReach() { if (reach.length) { edges.remove(reach); reach = []; } }

  // -- opening and closing -------------------------------------------------------------------
  function spiral(count, spacing, x, y) {
    var at = [], area = 0;
    for (var i = 0; i < count; i++) {
      var room = Math.PI * spacing(i) * spacing(i), radius = Math.sqrt((area + room / 2) / Math.PI);
      at.push([x + radius * Math.cos(i * GOLDEN), y + radius * Math.sin(i * GOLDEN)]);
      area += room;
    }
    return { at: at, radius: Math.sqrt(area / Math.PI) };
  }

  // Sub-clusters pushed apart until no two boxes (dot and the label beneath) overlap, as
  // kg/overview.py does for the first screen.
  function unoverlap(at, boxes) {
    for (var round = 0; round < 300; round++) {
      var moved = false;
      for (var i = 0; i < at.length; i++) {
        for (var j = i + 1; j < at.length; j++) {
          var dx = at[i][0] - at[j][0], dy = (at[i][1] + boxes[i].height / 2) - (at[j][1] + boxes[j].height / 2);
          var ox = (boxes[i].width + boxes[j].width) / 2 - Math.abs(dx), oy = (boxes[i].height + boxes[j].height) / 2 - Math.abs(dy);
          if (ox <= 0 || oy <= 0) continue;
          moved = true;
          if (ox < oy) { var sx = (dx >= 0 ? 1 : -1) * (ox + 0.5) / 2; at[i][0] += sx; at[j][0] -= sx; }
          else { var sy = (dy >= 0 ? 1 : -1) * (oy + 0.5) / 2; at[i][1] += sy; at[j][1] -= sy; }
        }
      }
      if (!moved) break;
    }
  }

  function ancestors(c) {
    var chain = [];
    for (; c >= 0; c = clusters[c].parent) chain.unshift(c);
    return chain;
  }

  function leafOfItem(id) { return typeof id === "number" ? net.leafAt[net.position[id]] : Number(id.slice(1)); }

  // Room for an opened cluster: everything else drawn moves away from its centre, all by the
  // same factor, so nothing that did not overlap before overlaps now.
  function makeRoom(x, y, radius) {
    var ids = nodes.getIds(), at = network.getPositions(ids), factor = 1;
    ids.forEach(function (id) {
      var reach = typeof id === "number" ? 30 : 130;
      var distance = Math.max(Math.hypot(at[id].x - x, at[id].y - y), 1);
      factor = Math.max(factor, (radius + reach) / distance);
    });
    if (factor <= 1) return;
    nodes.update(ids.map(function (id) {
      return { id: id, x: x + (at[id].x - x) * factor, y: y + (at[id].y - y) * factor };
    }));
  }

  // `quiet`: no animation of the view (a search opens several clusters, then moves once:
  // vis-network runs overlapping view animations against each other).
  function openCluster(c, quiet) {
    var id = clusterId(c);
    if (!net || !nodes.get(id)) return false;
    hideReach();
    var cl = clusters[c], here = network.getPositions([id])[id];
    centerOf[c] = here;
    removeItems([id]);
    var added = [], laid;
    if (cl.children.length) {
      laid = spiral(cl.children.length, function () { return CHILD_SPACING; }, here.x, here.y);
      var boxes = cl.children.map(function (child) {
        var radius = 10 + 24 * Math.sqrt(size(child) / size(c)), lines = clusters[child].label.split("\n");
        var wide = Math.max(2 * radius, 8.6 * Math.max.apply(null, lines.map(function (l) { return l.length; })));
        return { radius: radius, width: wide + 14, height: 2 * radius + 17 * lines.length + 18, lines: lines.length };
      });
      unoverlap(laid.at, boxes);
      laid.radius = 0;
      cl.children.forEach(function (child, i) {
        fillOwner(net.owner, net.order, child);
        laid.radius = Math.max(laid.radius, Math.hypot(laid.at[i][0] - here.x, laid.at[i][1] - here.y) + boxes[i].width / 2);
        added.push(clusterNode(child, laid.at[i][0], laid.at[i][1], boxes[i].radius));
      });
    } else {
      laid = spiral(size(c), function (i) { return i < LEAF_LABELS ? LABELLED_SPACING : CONCEPT_SPACING; }, here.x, here.y);
      for (var p = cl.start; p < cl.end; p++) {
        var k = net.order[p], i = p - cl.start;
        net.owner[k] = -1;
        added.push(conceptNode(k, laid.at[i][0], laid.at[i][1], i < LEAF_LABELS, c));
      }
    }
    makeRoom(here.x, here.y, laid.radius);
    nodes.add(added);
    opened.push(c);
    link(cl.start, cl.end);
    afterChange(added.map(function (n) { return n.id; }));
    if (!quiet) {
      network.fit({ nodes: added.map(function (n) { return n.id; }), maxZoomLevel: 1.1,
                    animation: { duration: 300, easingFunction: "easeInOutQuad" } });
    }
    return true;
  }

  function closeCluster(c) {
    if (!net || opened.indexOf(c) < 0) return false;
    hideReach();
    var cl = clusters[c], drawn = new Set();
    for (var p = cl.start; p < cl.end; p++) drawn.add(itemOf(net.order[p]));
    removeItems(Array.from(drawn));
    opened = opened.filter(function (o) { return clusters[o].start < cl.start || clusters[o].end > cl.end; });
    fillOwner(net.owner, net.order, c);
    var at = centerOf[c], largest = cl.parent >= 0 ? size(cl.parent) : null;
    var radius = largest ? 10 + 24 * Math.sqrt(size(c) / largest) : cl.radius;
    nodes.add([clusterNode(c, at.x, at.y, radius)]);
    link(cl.start, cl.end);
    afterChange([clusterId(c)]);
    return true;
  }

  function closeAll() { opened.slice().reverse().forEach(function (c) { if (opened.indexOf(c) >= 0) closeCluster(c); }); }

  // The innermost opened cluster holding a drawn item.
  function openedHolder(id) {
    var line = ancestors(leafOfItem(id));
    if (typeof id === "string") line = ancestors(Number(id.slice(1))).slice(0, -1);
    for (var i = line.length - 1; i >= 0; i--) if (opened.indexOf(line[i]) >= 0) return line[i];
    return null;
  }

  // -- the page ------------------------------------------------------------------------------
  var container = document.getElementById("kg-network");
  var options = {
    autoResize: true,
    nodes: { shape: "dot", font: { size: 14, face: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif",
                                   color: INK, strokeWidth: 4, strokeColor: "#ffffff" },
             scaling: { label: { enabled: false } } },
    edges: { smooth: false, selectionWidth: 1.5, hoverWidth: 1 },
    layout: { improvedLayout: false },
    physics: false,
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: true, multiselect: false }
  };
  nodes.add(data.top.map(function (c) { return clusterNode(c, clusters[c].x, clusters[c].y, clusters[c].radius); }));
  var firstLinks = data.links.map(function (l) { return linkEdge(clusterId(l[0]), clusterId(l[1]), l[2]); });
  firstLinks.forEach(remember);
  edges.add(firstLinks);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  var status = document.getElementById("kg-status");
  var kg = window.kg = { network: network, nodes: nodes, edges: edges, data: data, ready: false, readyAt: null,
                         draws: 0, hiddenLabels: hiddenLabels, openCluster: openCluster, closeCluster: closeCluster,
                         closeAll: closeAll, focusConcept: focusConcept, showArea: showArea, loaded: loaded, iris: iris,
                         opened: function () { return opened.slice(); }, net: function () { return net; } };
  network.on("afterDrawing", function () { kg.draws += 1; });
  function say(text) { status.textContent = text; }

  // Labels that would cover another's on screen give way to the more important one (a bigger
  // cluster, a more central concept); theirs stay in the tooltip.
  function importance(id) { return typeof id === "number" ? -id : size(Number(id.slice(1))) * 1e7; }
  function declutter() {
    var placed = [], changed = [];
    var ids = nodes.getIds().filter(function (id) {
      var n = network.body.nodes[id];
      return n && n.options.label && n.labelModule.size.width > 0;
    });
    ids.sort(function (a, b) { return importance(b) - importance(a); });
    ids.forEach(function (id) {
      var s = network.body.nodes[id].labelModule.size;
      var box = { left: s.left, top: s.top, right: s.left + s.width, bottom: s.top + s.height };
      var clash = placed.some(function (o) { return box.left < o.right && o.left < box.right && box.top < o.bottom && o.top < box.bottom; });
      if (clash) { changed.push({ id: id, label: "" }); hiddenLabels.add(id); } else placed.push(box);
    });
    if (changed.length) nodes.update(changed);
    return changed.length;
  }

  var pending = null;
  function afterChange(ids) {
    pending = ids;
    network.once("afterDrawing", function () { declutter(); renderOpened(); });
    network.redraw();
  }

  function markReady() {
    if (kg.ready) return;
    kg.ready = true;
    kg.readyAt = performance.now();
    document.documentElement.setAttribute("data-ready", "true");
  }

  network.once("afterDrawing", function () {
    network.fit();
    network.once("afterDrawing", function () {
      kg.drawnAt = performance.now();
      var hidden = declutter();
      loaded.then(function () {
        if (hidden) { network.once("afterDrawing", markReady); network.redraw(); } else markReady();
      }, function (error) { say("The network could not be unpacked: " + error); });
    });
    network.redraw();
  });

  network.on("click", function (params) {
    if (!params.nodes.length) { say(""); return; }
    var id = params.nodes[0];
    if (typeof id === "string") {
      var c = Number(id.slice(1));
      loaded.then(function () { if (openCluster(c)) say("Opened " + clusters[c].names[0] + "\u2019s community"); });
      return;
    }
    say(net.labels[id] + " (" + data.kinds[net.kinds[id]].kind + ")");
    var url = conceptUrl(id);
    // A double-click closes the cluster instead: wait to see whether a second click follows.
    clearTimeout(pendingOpen);
    if (isWebUrl(url)) pendingOpen = setTimeout(function () { window.open(url, "_blank", "noopener,noreferrer"); }, 300);
  });
  var pendingOpen = null;
  var selected = null;
  network.on("hoverNode", function (params) { if (net && typeof params.node === "number") showReach(params.node); });
  network.on("blurNode", function () { if (selected !== null) showReach(selected); else hideReach(); });
  network.on("selectNode", function (params) {
    selected = net && typeof params.nodes[0] === "number" ? params.nodes[0] : null;
    if (selected !== null) showReach(selected);
  });
  network.on("deselectNode", function () { selected = null; hideReach(); });
  network.on("doubleClick", function (params) {
    clearTimeout(pendingOpen);
    if (!params.nodes.length || !net) return;
    var holder = openedHolder(params.nodes[0]);
    if (holder !== null) closeCluster(holder);
  });

  // -- finding a concept or an area ------------------------------------------------------------
  function keys() {
    if (!net.keys) net.keys = net.labels.map(normal);
    return net.keys;
  }

  function matches(text, onlyArea, limit) {
    var wanted = normal(text), found = [], all = keys(), area = areaCode();
    if (!wanted) return found;
    var tests = [function (key) { return key === wanted; }, function (key) { return key.indexOf(wanted) === 0; },
                 function (key) { return key.indexOf(wanted) >= 0; }];
    var seen = new Set();
    for (var t = 0; t < tests.length && found.length < limit; t++) {
      for (var k = 0; k < all.length && found.length < limit; k++) {
        if (!seen.has(k) && (!onlyArea || net.kinds[k] === area) && tests[t](all[k])) { found.push(k); seen.add(k); }
      }
    }
    return found;
  }

  function areaCode() {
    for (var i = 0; i < data.kinds.length; i++) if (data.kinds[i].kind === "area") return i;
    return -1;
  }

  function reveal(k) {
    var guard = 0;
    while (net.owner[k] >= 0 && guard++ < 64) openCluster(net.owner[k], true);
  }

  function focusOn(k) {
    reveal(k);
    network.selectNodes([k]);
    selected = k;
    showReach(k);
    network.focus(k, { scale: Math.max(network.getScale(), 1.2), animation: { duration: 450, easingFunction: "easeInOutQuad" } });
    say(net.labels[k] + " (" + data.kinds[net.kinds[k]].kind + ")");
    return k;
  }

  function focusConcept(text) {
    if (!net) return null;
    var found = matches(text, false, 1);
    if (!found.length) { say("No concept matches \u201c" + text + "\u201d"); return null; }
    return focusOn(found[0]);
  }

  function showArea(text) {
    if (!net) return null;
    var found = matches(text, true, 1);
    if (!found.length) { say("No area matches \u201c" + text + "\u201d"); return null; }
    return focusOn(found[0]);
  }

  function suggest(list, found) {
    while (list.firstChild) list.removeChild(list.firstChild);
    found.forEach(function (k) {
      var option = document.createElement("option");
      option.value = net.labels[k];
      list.appendChild(option);
    });
  }

  function wire(form, input, list, onlyArea, go) {
    form.addEventListener("submit", function (event) { event.preventDefault(); loaded.then(function () { go(input.value); }); });
    input.addEventListener("input", function (event) {
      if (!net) return;
      // Picking a suggestion from the list is an input event without a typed character.
      if (!event.inputType || event.inputType === "insertReplacementText") { go(input.value); return; }
      suggest(list, input.value.length >= 2 ? matches(input.value, onlyArea, 30) : []);
    });
  }

  wire(document.getElementById("kg-search-form"), document.getElementById("kg-search"),
       document.getElementById("kg-labels"), false, focusConcept);
  // An area menu of thousands of areas would be unusable: areas are found by name instead.
  document.getElementById("kg-area-label").hidden = true;
  var areaForm = document.getElementById("kg-area-form");
  areaForm.hidden = areaCode() < 0;
  wire(areaForm, document.getElementById("kg-area-find"), document.getElementById("kg-area-labels"), true, showArea);

  // -- header, legend, the list of open clusters -----------------------------------------------
  document.getElementById("kg-title").textContent = data.title;
  document.getElementById("kg-counts").textContent = number(data.concepts) + " concepts \u00b7 " +
    number(data.relationCount) + " relations \u00b7 " + number(data.communities) + " communities";
  if (data.note) {
    var note = document.getElementById("kg-note");
    note.textContent = data.note;
    note.hidden = false;
  }
  var kindList = document.getElementById("kg-kinds");
  data.kinds.forEach(function (k) {
    var row = element("li"), swatch = element("span", "kg-swatch");
    swatch.style.background = k.color;
    row.appendChild(swatch);
    row.appendChild(element("span", null, k.kind));
    row.appendChild(element("span", "kg-count", number(k.count)));
    kindList.appendChild(row);
  });
  var relationList = document.getElementById("kg-relations");
  function strokeRow(color, width, dashes, text, count) {
    var row = element("li"), stroke = element("span", "kg-stroke");
    stroke.style.borderTop = Math.max(2, width) + "px " + (dashes ? (dashes[0] <= 2 ? "dotted" : "dashed") : "solid") + " " + color;
    row.appendChild(stroke);
    row.appendChild(element("span", null, text));
    if (count !== null) row.appendChild(element("span", "kg-count", number(count)));
    relationList.appendChild(row);
  }
  data.relations.forEach(function (r) { strokeRow(r.color, r.width, r.dashes, r.relation + (r.arrow ? " \u2192" : ""), r.count); });
  strokeRow(LINK_STRONG, 3, false, "between clusters (width: how many)", null);
  document.getElementById("kg-hint").textContent = "Click a cluster to open it, double-click inside an open one to close it. " +
    "Hover or click a concept to draw its relations; click opens its page. The search box finds any concept.";

  var openSection = document.getElementById("kg-open-section");
  var openList = document.getElementById("kg-open");
  function renderOpened() {
    while (openList.firstChild) openList.removeChild(openList.firstChild);
    openSection.hidden = !opened.length;
    opened.forEach(function (c) {
      var row = element("li"), swatch = element("span", "kg-swatch"), button = element("button", "kg-close", "close");
      row.style.paddingLeft = (ancestors(c).length - 1) * 12 + "px";  // nested clusters indented
      swatch.style.background = hueOf(c);
      row.appendChild(swatch);
      // Two names: a sub-cluster often shares its most central concept with the cluster it is in.
      var name = clusters[c].bundle ? clusters[c].label.split("\n")[0] : clusters[c].names.slice(0, 2).join(", ");
      var named = element("div", "kg-open-item");
      named.appendChild(element("div", "kg-open-name", name));
      named.appendChild(element("div", "kg-open-size", number(size(c)) + " concepts"));
      named.title = clusters[c].label.replace("\n", " \u00b7 ");
      row.appendChild(named);
      button.type = "button";
      button.setAttribute("aria-label", "Close " + clusters[c].names[0]);
      button.addEventListener("click", function () { closeCluster(c); });
      row.appendChild(button);
      openList.appendChild(row);
    });
  }
  document.getElementById("kg-close-all").addEventListener("click", closeAll);
})();
