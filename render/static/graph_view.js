/* The flow graph viewer of render.html: zoom, pan, fit, search and folding that closes up.
 *
 * The page holds Graphviz's SVG of the node graph inside <div class="fg-view">. Zoom and pan
 * move the SVG's viewBox. Folding a block hides what it holds and then closes up the drawing:
 * every horizontal band that only hidden things occupied is cut out, and everything below moves
 * up (node boxes move as a whole, cluster frames and edges are re-drawn through the cut), so the
 * drawing really gets shorter. A band beside a still-visible parallel branch is kept: closing it
 * would need a new layout, and nothing ever overlaps. Everything is computed from the geometry
 * captured at load time, with loops only (no recursion), so a page with thousands of nodes works.
 * Node and cluster labels that the browser's font draws wider than Graphviz measured are
 * squeezed into their box, so no label is clipped or spills over its frame.
 */
(function () {
  "use strict";
  var section = document.getElementById("fg-graph");
  var view = section ? section.querySelector(".fg-view") : null;
  var svg = view ? view.querySelector("svg") : null;
  var graph = svg ? svg.querySelector("g.graph") : null;
  if (!graph) { return; }
  var dataNode = document.getElementById("fg-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : {};
  var nodeInfo = data.nodes || {}, blocks = data.blocks || {}, edgeEnds = data.edgeEnds || {};
  var PX = 4 / 3;  // Graphviz draws in points
  var NUM = /(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?),(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)/g;
  function byId(id) { return document.getElementById(id); }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  var box0 = svg.viewBox.baseVal;
  var full = {w: box0.width, h: box0.height};
  var content = {w: full.w, h: full.h};
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");

  // -- labels: fit each text into its box ------------------------------------------------
  function squeeze(group, pad, left) {
    var shape = group.querySelector("path, polygon, ellipse");
    if (!shape) { return; }
    var s = shape.getBBox(), room = s.width - pad;
    each(group.querySelectorAll("text"), function (text) {
      var need = text.getComputedTextLength(), x = parseFloat(text.getAttribute("x"));
      var half = Math.min(x - s.x, s.x + s.width - x) - pad / 2;
      if (need / 2 <= half || room <= 0) { return; }
      if (left) {  // a cluster title: start it at the frame's left edge rather than shrink it first
        text.setAttribute("text-anchor", "start");
        text.setAttribute("x", (s.x + pad / 2).toFixed(2));
      } else {
        text.setAttribute("x", (s.x + s.width / 2).toFixed(2));
      }
      if (need > room) {
        text.setAttribute("textLength", room.toFixed(2));
        text.setAttribute("lengthAdjust", "spacingAndGlyphs");
      }
    });
  }
  each(graph.querySelectorAll("g.node"), function (g) { squeeze(g, 8, false); });
  each(graph.querySelectorAll("g.cluster"), function (g) { squeeze(g, 12, true); });

  // -- geometry captured once ------------------------------------------------------------
  var rigid = [];    // {el, top}: moved as a whole
  var stretch = [];  // {el, attr, value}: every y coordinate mapped through the cut
  var groups = [];   // {el, top, bottom, kind, label: [top, bottom] or null}
  function addStretch(el) {
    var attr = el.tagName === "path" ? "d" : (el.tagName === "polygon" || el.tagName === "polyline" ? "points" : null);
    if (attr) { stretch.push({el: el, attr: attr, value: el.getAttribute(attr)}); }
  }
  each(graph.children, function (child) {
    if (child.tagName === "polygon") { addStretch(child); return; }  // the page background
    if (child.tagName !== "g") { return; }
    var kind = child.classList.contains("node") ? "node" : child.classList.contains("cluster") ? "cluster"
      : child.classList.contains("edge") ? "edge" : null;
    if (!kind) { return; }
    var b = child.getBBox();
    var entry = {el: child, top: b.y, bottom: b.y + b.height, kind: kind, label: null};
    groups.push(entry);
    if (kind === "node") {
      rigid.push({el: child, top: b.y});
      return;
    }
    each(child.querySelectorAll("path, polygon, polyline"), function (shape) {
      if (kind === "edge" && shape.tagName === "polygon") {
        rigid.push({el: shape, top: shape.getBBox().y});  // an arrowhead keeps its shape
      } else {
        addStretch(shape);
      }
    });
    each(child.querySelectorAll("text"), function (text) {
      var t = text.getBBox();
      rigid.push({el: text, top: t.y});
      if (kind === "cluster") { entry.label = [t.y - 4, t.y + t.height + 4]; }
    });
  });

  function hidden(el) { return el.classList.contains("fg-hidden"); }

  function union(intervals) {
    intervals.sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    intervals.forEach(function (iv) {
      var last = out[out.length - 1];
      if (last && iv[0] <= last[1]) { last[1] = Math.max(last[1], iv[1]); } else { out.push([iv[0], iv[1]]); }
    });
    return out;
  }

  function subtract(from, minus) {
    var out = [], j = 0;
    from.forEach(function (iv) {
      var start = iv[0], end = iv[1];
      while (j < minus.length && minus[j][1] <= start) { j += 1; }
      var k = j;
      while (k < minus.length && minus[k][0] < end) {
        if (minus[k][0] > start) { out.push([start, minus[k][0]]); }
        start = Math.max(start, minus[k][1]);
        k += 1;
      }
      if (start < end) { out.push([start, end]); }
    });
    return out.filter(function (iv) { return iv[1] - iv[0] > 0.5; });
  }

  var cuts = [];  // sorted, disjoint [start, end] bands cut out of the drawing
  function mapY(y) {
    var removed = 0;
    for (var i = 0; i < cuts.length && cuts[i][0] < y; i += 1) {
      removed += Math.min(y, cuts[i][1]) - cuts[i][0];
    }
    return y - removed;
  }

  function closeUp() {
    var removed = [], kept = [];
    groups.forEach(function (g) {
      if (hidden(g.el)) { removed.push([g.top, g.bottom]); return; }
      if (g.kind === "node") { kept.push([g.top - 8, g.bottom + 8]); }  // room for arrowheads
      if (g.kind === "cluster" && g.label) { kept.push(g.label); }
    });
    cuts = subtract(union(removed), union(kept));
    rigid.forEach(function (r) {
      var dy = mapY(r.top) - r.top;
      if (dy) { r.el.setAttribute("transform", "translate(0," + dy.toFixed(2) + ")"); } else { r.el.removeAttribute("transform"); }
    });
    stretch.forEach(function (s) {
      s.el.setAttribute(s.attr, s.value.replace(NUM, function (_, x, y) { return x + "," + mapY(parseFloat(y)).toFixed(2); }));
    });
    var total = 0;
    cuts.forEach(function (c) { total += c[1] - c[0]; });
    content.h = full.h - total;
    svg.setAttribute("data-height", content.h.toFixed(2));
    sizeElement();
  }

  // -- folding ---------------------------------------------------------------------------
  var members = {};
  Object.keys(blocks).forEach(function (blockId) {
    var set = {};
    blocks[blockId].forEach(function (nodeId) { set[nodeId] = true; });
    members[blockId] = set;
  });
  var folded = {};
  function applyFolds() {
    each(graph.querySelectorAll("g.fg-hidden"), function (g) { g.classList.remove("fg-hidden"); });
    Object.keys(folded).forEach(function (blockId) {
      var inside = members[blockId] || {};
      var block = byId("b" + blockId);
      if (block) { block.classList.add("fg-folded"); }
      Object.keys(inside).forEach(function (nodeId) {
        if (nodeId === blockId) { return; }
        var node = byId("n" + nodeId), inner = byId("b" + nodeId);
        if (node) { node.classList.add("fg-hidden"); }
        if (inner) { inner.classList.add("fg-hidden"); }
      });
      Object.keys(edgeEnds).forEach(function (edgeId) {
        var ends = edgeEnds[edgeId];
        var a = inside[ends[0]] && ends[0] !== blockId, b = inside[ends[1]] && ends[1] !== blockId;
        // An edge leaving or entering the folded box stays, drawn to the box's edge.
        if ((a && (b || ends[1] === blockId)) || (b && ends[0] === blockId)) {
          var edge = byId(edgeId);
          if (edge) { edge.classList.add("fg-hidden"); }
        }
      });
    });
    each(graph.querySelectorAll("g.fg-block"), function (g) {
      if (!folded[g.id.slice(1)]) { g.classList.remove("fg-folded"); }
    });
    closeUp();
  }
  function setFolded(blockId, fold) {
    if (fold) { folded[blockId] = true; } else { delete folded[blockId]; }
    applyFolds();
  }
  each(graph.querySelectorAll("g.fg-block"), function (group) {
    group.addEventListener("click", function (evt) {
      evt.stopPropagation();
      setFolded(group.id.slice(1), !folded[group.id.slice(1)]);
    });
  });
  var foldAll = byId("fg-fold-all"), unfoldAll = byId("fg-unfold-all");
  if (foldAll) {
    foldAll.addEventListener("click", function () {
      // Fold the outermost blocks: a block inside another folded one adds nothing.
      var ids = Object.keys(members);
      ids.forEach(function (id) { folded[id] = true; });
      ids.forEach(function (id) {
        Object.keys(members[id]).forEach(function (inner) { if (inner !== id && folded[inner]) { delete folded[inner]; } });
      });
      applyFolds();
    });
  }
  if (unfoldAll) { unfoldAll.addEventListener("click", function () { folded = {}; applyFolds(); }); }

  // -- zoom, pan, fit --------------------------------------------------------------------
  var box = {x: 0, y: 0, w: full.w, h: full.h};
  var fitted = false;
  function sizeElement() {
    var height = Math.max(120, Math.min(content.h * PX + 2, window.innerHeight * 0.8));
    view.style.height = height.toFixed(0) + "px";
    svg.style.height = height.toFixed(0) + "px";
    if (fitted) { fit(); } else { show(); }
  }
  function scale() { return box.w / Math.max(1, view.clientWidth); }  // viewBox units per pixel
  function show() {
    var ratio = view.clientHeight / Math.max(1, view.clientWidth);
    box.h = box.w * ratio;
    svg.setAttribute("viewBox", [box.x, box.y, box.w, box.h].map(function (v) { return v.toFixed(2); }).join(" "));
    var zoom = byId("fg-zoom-level");
    if (zoom) { zoom.textContent = Math.round(100 / (scale() * PX)) + "%"; }
  }
  function fit() {
    var width = Math.max(1, view.clientWidth), height = Math.max(1, view.clientHeight);
    var s = Math.max(content.w / width, content.h / height);
    box.w = width * s;
    box.h = height * s;
    box.x = (content.w - box.w) / 2;
    box.y = (content.h - box.h) / 2;
    fitted = true;
    show();
  }
  function actual() {
    box.w = view.clientWidth / PX;
    box.x = Math.min(0, (content.w - box.w) / 2);
    box.y = 0;
    fitted = false;
    show();
  }
  function zoomAt(factor, px, py) {
    var s = scale(), gx = box.x + px * s, gy = box.y + py * s;
    var limit = Math.max(content.w, content.h) * 4;
    box.w = Math.min(Math.max(box.w / factor, 20), limit);
    box.h = box.w * view.clientHeight / Math.max(1, view.clientWidth);
    s = scale();
    box.x = gx - px * s;
    box.y = gy - py * s;
    fitted = false;
    show();
  }
  function button(id, fn) { var b = byId(id); if (b) { b.addEventListener("click", fn); } }
  button("fg-zoom-in", function () { zoomAt(1.25, view.clientWidth / 2, view.clientHeight / 2); });
  button("fg-zoom-out", function () { zoomAt(0.8, view.clientWidth / 2, view.clientHeight / 2); });
  button("fg-fit", fit);
  button("fg-actual", actual);
  view.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var r = view.getBoundingClientRect();
    zoomAt(evt.deltaY < 0 ? 1.15 : 1 / 1.15, evt.clientX - r.left, evt.clientY - r.top);
  }, {passive: false});
  var drag = null;
  view.addEventListener("pointerdown", function (evt) {
    if (evt.button !== 0) { return; }
    drag = {x: evt.clientX, y: evt.clientY, bx: box.x, by: box.y, moved: false};
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
    drag.moved = true;
    view.classList.add("fg-panning");
    box.x = drag.bx - dx * scale();
    box.y = drag.by - dy * scale();
    fitted = false;
    show();
  });
  window.addEventListener("pointerup", function () {
    if (drag && drag.moved) {
      // A pan is not a click: keep the block under the pointer from folding.
      window.addEventListener("click", function stop(e) { e.stopPropagation(); window.removeEventListener("click", stop, true); }, true);
      setTimeout(function () { view.classList.remove("fg-panning"); }, 0);
    }
    drag = null;
  });
  window.addEventListener("resize", sizeElement);

  // -- search ----------------------------------------------------------------------------
  var input = byId("fg-search"), found = byId("fg-found");
  var matches = [], current = -1;
  function text(nodeId) {
    var info = nodeInfo[nodeId] || {}, parts = [];
    Object.keys(info).forEach(function (key) { parts.push(String(info[key])); });
    var el = byId("n" + nodeId);
    if (el) { parts.push(el.textContent); }
    var block = byId("b" + nodeId);
    if (block) { parts.push(block.textContent); }
    return parts.join("\n").toLowerCase();
  }
  var haystack = null;
  function search(query) {
    each(graph.querySelectorAll(".fg-match, .fg-current"), function (g) { g.classList.remove("fg-match", "fg-current"); });
    matches = [];
    current = -1;
    var q = query.trim().toLowerCase();
    if (q) {
      if (!haystack) {
        haystack = [];
        each(graph.querySelectorAll("g.node"), function (g) { haystack.push([g.id.slice(1), text(g.id.slice(1))]); });
      }
      haystack.forEach(function (pair) { if (pair[1].indexOf(q) >= 0) { matches.push(pair[0]); } });
      matches.forEach(function (id) { byId("n" + id).classList.add("fg-match"); });
    }
    if (found) { found.textContent = q ? (matches.length ? matches.length + " found" : "no match") : ""; }
  }
  function reveal(nodeId) {
    var changed = false;
    Object.keys(folded).forEach(function (blockId) {
      if (blockId !== nodeId && members[blockId] && members[blockId][nodeId]) { delete folded[blockId]; changed = true; }
    });
    if (changed) { applyFolds(); }
  }
  function matrixOf(el) {
    var t = el.transform.baseVal.consolidate();
    return t ? t.matrix : svg.createSVGMatrix();
  }
  function goTo(step) {
    if (!matches.length) { return; }
    current = (current + step + matches.length) % matches.length;
    var id = matches[current];
    reveal(id);
    each(graph.querySelectorAll(".fg-current"), function (g) { g.classList.remove("fg-current"); });
    var el = byId("n" + id);
    el.classList.add("fg-current");
    // The node's centre in viewBox units: its own box, moved by its own and the graph's transform.
    var b = el.getBBox(), p = svg.createSVGPoint();
    p.x = b.x + b.width / 2;
    p.y = b.y + b.height / 2;
    p = p.matrixTransform(matrixOf(graph).multiply(matrixOf(el)));
    if (scale() * PX > 1.5) { box.w = view.clientWidth / PX; box.h = view.clientHeight / PX; }
    box.x = p.x - box.w / 2;
    box.y = p.y - box.h / 2;
    fitted = false;
    show();
    view.scrollIntoView({block: "nearest"});
    if (found) { found.textContent = (current + 1) + " of " + matches.length; }
  }
  if (input) {
    input.addEventListener("input", function () { search(input.value); });
    input.addEventListener("keydown", function (evt) {
      if (evt.key === "Enter") {
        evt.preventDefault();
        if (!matches.length) { search(input.value); }
        goTo(evt.shiftKey ? -1 : 1);
      }
    });
  }
  button("fg-next", function () { if (!matches.length && input) { search(input.value); } goTo(1); });
  button("fg-prev", function () { if (!matches.length && input) { search(input.value); } goTo(-1); });

  closeUp();
  // Start with the whole drawing when it stays readable (at least half size), else at 1:1 from the top.
  var fitScale = Math.min(view.clientWidth / (content.w * PX), view.clientHeight / (content.h * PX));
  if (fitScale >= 0.5) { fit(); } else { actual(); }
}());
